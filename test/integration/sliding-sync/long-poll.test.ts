// Long-polling sliding sync (MSC4186 `timeout`): a request with nothing new waits in the user's
// object and returns as soon as something relevant arrives, or empty at the timeout.
import { describe, expect, it } from 'vitest';
import { call, type TestUser } from '../helpers/client';
import { sendOk } from '../helpers/rooms';
import { makeDevice, upload } from '../e2ee/helpers';
import { putAccountData, receipt, roomWith, sleep, typing, users } from '../sync/helpers';
import { listBody, ss, type SsBody, timelineIds } from './helpers';

/** Wake-ups must reach a parked request within this long after the change is acknowledged. */
const WAKE_MS = 1000;
const PARK_MS = 300;

async function parkThen(user: TestUser, body: Record<string, unknown>, pos: string, act: () => Promise<unknown>): Promise<{ body: SsBody; afterAct: number }> {
  let returned = 0;
  const poll = ss(user, body, { pos, timeout: 10_000 }).then((b) => {
    returned = Date.now();
    return b;
  });
  await sleep(PARK_MS);
  expect(returned, 'the request returned before anything happened').toBe(0);
  await act();
  const acted = Date.now();
  const b = await poll;
  return { body: b, afterAct: returned - acted };
}

describe('long-poll', () => {
  it("returns within a second of a room mate's message, with it", async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] });
    const first = await ss(bob, body);
    let id = '';
    const { body: b, afterAct } = await parkThen(bob, body, first.pos, async () => (id = await sendOk(alice, roomId)));
    expect(timelineIds(b.rooms[roomId])).toEqual([id]);
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  it('returns for a to-device message, for typing, and for account data when those extensions are on', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] }, { extensions: { to_device: { enabled: true }, typing: { enabled: true }, account_data: { enabled: true } } });
    const first = await ss(bob, body);
    const send = () => call('PUT', `/_matrix/client/v3/sendToDevice/m.test/t${Date.now()}`, { token: alice.token, body: { messages: { [bob.userId]: { [bob.deviceId]: { x: 1 } } } } });
    const withSince = (since: string) => ({ ...body, extensions: { ...(body.extensions as object), to_device: { enabled: true, since } } });
    const a = await parkThen(bob, withSince(first.extensions.to_device!.next_batch), first.pos, send);
    expect(a.body.extensions.to_device!.events.map((e) => e.content)).toEqual([{ x: 1 }]);
    expect(a.afterAct).toBeLessThan(WAKE_MS);
    const since = a.body.extensions.to_device!.next_batch;
    const t = await parkThen(bob, withSince(since), a.body.pos, () => typing(alice, roomId, { typing: true, timeout: 20000 }));
    expect(t.body.extensions.typing!.rooms[roomId].content).toEqual({ user_ids: [alice.userId] });
    expect(t.afterAct).toBeLessThan(WAKE_MS);
    const d = await parkThen(bob, withSince(since), t.body.pos, () => putAccountData(bob, 'org.example.x', { y: 2 }));
    expect(d.body.extensions.account_data!.global).toEqual([{ type: 'org.example.x', content: { y: 2 } }]);
    expect(d.afterAct).toBeLessThan(WAKE_MS);
  });

  it("returns for a receipt, and for a room mate's new device, when receipts and e2ee are on", async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId);
    const body = listBody({ ranges: [[0, 9]] }, { extensions: { receipts: { enabled: true }, e2ee: { enabled: true } } });
    const first = await ss(bob, body);
    const r = await parkThen(bob, body, first.pos, () => receipt(alice, roomId, msg));
    expect(Object.keys(r.body.extensions.receipts!.rooms)).toEqual([roomId]);
    expect(r.body.rooms).toEqual({});
    expect(r.afterAct).toBeLessThan(WAKE_MS);
    const d = await parkThen(bob, body, r.body.pos, async () => upload(alice, { device_keys: (await makeDevice(alice)).keys }));
    expect(d.body.extensions.e2ee!.device_lists).toEqual({ changed: [alice.userId], left: [] });
    expect(d.afterAct).toBeLessThan(WAKE_MS);
  });

  it('returns empty at the timeout, with the list counts and a pos that still works', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] });
    const first = await ss(bob, body);
    const started = Date.now();
    // Account data is news only to the account_data extension, which is off here.
    const idle = ss(bob, body, { pos: first.pos, timeout: 1500 });
    await sleep(200);
    await putAccountData(bob, 'org.example.ignored', {});
    const b = await idle;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(b.rooms).toEqual({});
    expect(b.lists).toEqual({ all: { count: 1 } });
    const id = await sendOk(alice, roomId);
    expect(timelineIds((await ss(bob, body, { pos: b.pos })).rooms[roomId])).toEqual([id]);
  });

  it('answers a repeated idle request as a computed one would: same pos, list counts, empty extensions', async () => {
    const [alice, bob] = await users(2);
    await roomWith(alice, [bob]);
    const exts = { e2ee: { enabled: true }, account_data: { enabled: true }, receipts: { enabled: true }, typing: { enabled: true } };
    const first = await ss(bob, listBody({ ranges: [[0, 9]] }, { extensions: { ...exts, to_device: { enabled: true } } }));
    const body = listBody({ ranges: [[0, 9]] }, { extensions: { ...exts, to_device: { enabled: true, since: first.extensions.to_device!.next_batch } } });
    const computed = await ss(bob, body, { pos: first.pos });
    expect(computed.rooms).toEqual({});
    // Nothing moved since: the answer comes from what the object knows, and must be the same.
    for (let i = 0; i < 2; i++) expect(await ss(bob, body, { pos: computed.pos })).toEqual(computed);
    expect(computed.lists).toEqual({ all: { count: 1 } });
    expect(computed.extensions.e2ee!.device_lists).toEqual({ changed: [], left: [] });
  });

  it('answers at once when the request asks for more than the last one, whatever the timeout', async () => {
    const [alice, bob] = await users(2);
    const older = await roomWith(alice, [bob]);
    await roomWith(alice, [bob]);
    const first = await ss(bob, listBody({ ranges: [[0, 0]] }));
    const started = Date.now();
    const grown = await ss(bob, listBody({ ranges: [[0, 1]] }), { pos: first.pos, timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(WAKE_MS);
    expect(Object.keys(grown.rooms)).toEqual([older]);
  });

  it('ends a parked request when a newer request of the same connection arrives', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] });
    const first = await ss(bob, body);
    let returned = 0;
    const parked = ss(bob, body, { pos: first.pos, timeout: 20_000 }).then((b) => {
      returned = Date.now();
      return b;
    });
    await sleep(PARK_MS);
    const replaced = Date.now();
    const newer = ss(bob, body, { pos: first.pos, timeout: 20_000 });
    await parked;
    expect(returned - replaced).toBeLessThan(WAKE_MS);
    const id = await sendOk(alice, roomId);
    const b = await newer;
    expect(timelineIds(b.rooms[roomId])).toEqual([id]);
    // The newer request's pos is the one that goes on.
    expect((await ss(bob, body, { pos: b.pos })).rooms).toEqual({});
  });
});
