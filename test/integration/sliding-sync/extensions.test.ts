// Sliding sync extensions (as Synapse serves them): to_device (MSC3885), e2ee (MSC3884),
// account_data (MSC3959), receipts (MSC3960), typing (MSC3961), with their lists/rooms scoping.
import { describe, expect, it } from 'vitest';
import { call, type TestUser } from '../helpers/client';
import { leave, sendOk } from '../helpers/rooms';
import { makeDevice, upload, Ed25519 } from '../e2ee/helpers';
import { putAccountData, receipt, roomWith, typing, users } from '../sync/helpers';
import { listBody, ss } from './helpers';

let txn = 0;
function toDevice(from: TestUser, to: TestUser, content: Record<string, unknown>) {
  return call('PUT', `/_matrix/client/v3/sendToDevice/m.test/${Date.now()}-${txn++}`, { token: from.token, body: { messages: { [to.userId]: { [to.deviceId]: content } } } });
}

describe('to_device', () => {
  it('delivers messages after `since`, deletes them once a later since acknowledges them', async () => {
    const [alice, bob] = await users(2);
    const ext = (since?: string, limit?: number) => ({ extensions: { to_device: { enabled: true, since, limit } } });
    const first = await ss(bob, ext());
    expect(first.extensions.to_device!.events).toEqual([]);
    const since0 = first.extensions.to_device!.next_batch;
    for (let i = 0; i < 3; i++) expect((await toDevice(alice, bob, { n: i })).status).toBe(200);

    const page = await ss(bob, ext(since0, 2), { pos: first.pos });
    expect(page.extensions.to_device!.events).toEqual([0, 1].map((n) => ({ sender: alice.userId, type: 'm.test', content: { n } })));
    const since1 = page.extensions.to_device!.next_batch;
    const rest = await ss(bob, ext(since1, 2), { pos: page.pos });
    expect(rest.extensions.to_device!.events.map((e) => e.content.n)).toEqual([2]);
    // The client lost `rest`: with since1 again the message is still there.
    const again = await ss(bob, ext(since1, 2), { pos: page.pos });
    expect(again.extensions.to_device!.events.map((e) => e.content.n)).toEqual([2]);
    // Acknowledged: gone.
    const done = await ss(bob, ext(again.extensions.to_device!.next_batch), { pos: again.pos });
    expect(done.extensions.to_device!.events).toEqual([]);
    const replay = await ss(bob, ext(since0), { pos: done.pos });
    expect(replay.extensions.to_device!.events.map((e) => e.content.n)).toEqual([]);
  });

  it('answers a since from the future with no messages and the same token; leaves disabled extensions out', async () => {
    const [bob] = await users(1);
    const b = await ss(bob, { extensions: { to_device: { enabled: true, since: '999999999999' } } });
    expect(b.extensions.to_device).toEqual({ next_batch: '999999999999', events: [] });
    expect((await ss(bob, { extensions: { to_device: { enabled: false }, e2ee: {}, typing: { enabled: false } } })).extensions).toEqual({});
  });
});

describe('e2ee', () => {
  it('counts one-time keys and unused fallback keys of the device', async () => {
    const [bob] = await users(1);
    const key = await Ed25519.create();
    const otks: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) otks[`signed_curve25519:k${i}`] = await key.sign({ key: `k${i}` }, bob.userId, `ed25519:${bob.deviceId}`);
    const fallback = { 'signed_curve25519:f': await key.sign({ key: 'f', fallback: true }, bob.userId, `ed25519:${bob.deviceId}`) };
    expect((await upload(bob, { one_time_keys: otks, fallback_keys: fallback })).status).toBe(200);
    const b = await ss(bob, { extensions: { e2ee: { enabled: true } } });
    expect(b.extensions.e2ee!.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    expect(b.extensions.e2ee!.device_unused_fallback_key_types).toEqual(['signed_curve25519']);
    // Device lists only come with a pos.
    expect(b.extensions.e2ee!.device_lists).toBeUndefined();
  });

  it("lists room-mates whose devices changed, and those who no longer share a room", async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = { extensions: { e2ee: { enabled: true } } };
    const first = await ss(bob, body);
    expect((await upload(alice, { device_keys: (await makeDevice(alice)).keys })).status).toBe(200);
    const changed = await ss(bob, body, { pos: first.pos });
    expect(changed.extensions.e2ee!.device_lists).toEqual({ changed: [alice.userId], left: [] });
    expect((await leave(alice, roomId)).status).toBe(200);
    const left = await ss(bob, body, { pos: changed.pos });
    expect(left.extensions.e2ee!.device_lists).toEqual({ changed: [], left: [alice.userId] });
  });
});

describe('account_data', () => {
  it('sends all global account data (and the default push rules) first, then only changes', async () => {
    const [bob] = await users(1);
    expect((await putAccountData(bob, 'org.example.a', { v: 1 })).status).toBe(200);
    const body = { extensions: { account_data: { enabled: true } } };
    const first = await ss(bob, body);
    const types = first.extensions.account_data!.global.map((g) => g.type);
    expect(types).toContain('org.example.a');
    expect(types).toContain('m.push_rules');
    const quiet = await ss(bob, body, { pos: first.pos });
    expect(quiet.extensions.account_data).toEqual({ global: [], rooms: {} });
    await putAccountData(bob, 'org.example.b', { v: 2 });
    const next = await ss(bob, body, { pos: quiet.pos });
    expect(next.extensions.account_data!.global).toEqual([{ type: 'org.example.b', content: { v: 2 } }]);
  });

  it('sends the account data of the rooms in scope: all of it first, then changes', async () => {
    const [alice, bob] = await users(2);
    const [inWindow, outside] = [await roomWith(alice, [bob]), await roomWith(alice, [bob])];
    await sendOk(alice, outside);
    await putAccountData(bob, 'org.example.r', { where: 'in' }, inWindow);
    await putAccountData(bob, 'org.example.r', { where: 'out' }, outside);
    // `outside` is the newest room: a range of [1, 1] holds only `inWindow`.
    const body = listBody({ ranges: [[1, 1]] }, { extensions: { account_data: { enabled: true } } });
    const first = await ss(bob, body);
    expect(first.extensions.account_data!.rooms).toEqual({ [inWindow]: [{ type: 'org.example.r', content: { where: 'in' } }] });
    await putAccountData(bob, 'org.example.s', { n: 1 }, inWindow);
    const next = await ss(bob, body, { pos: first.pos });
    expect(next.extensions.account_data!.rooms).toEqual({ [inWindow]: [{ type: 'org.example.s', content: { n: 1 } }] });
    // Scoped to no list and no room: no room account data.
    const none = await ss(bob, listBody({ ranges: [[0, 9]] }, { extensions: { account_data: { enabled: true, lists: [], rooms: [] } } }));
    expect(none.extensions.account_data!.rooms).toEqual({});
    // Scoped to a subscription by room id.
    const sub = await ss(bob, { room_subscriptions: { [outside]: { timeline_limit: 0 } }, extensions: { account_data: { enabled: true, lists: [], rooms: [outside] } } });
    expect(sub.extensions.account_data!.rooms).toEqual({ [outside]: [{ type: 'org.example.r', content: { where: 'out' } }] });
  });
});

describe('receipts', () => {
  it("sends the user's own receipts and those on the timeline first, then new ones; others' private ones never", async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const older = await sendOk(alice, roomId);
    const newest = await sendOk(alice, roomId);
    expect((await receipt(bob, roomId, older)).status).toBe(200);
    expect((await receipt(alice, roomId, newest)).status).toBe(200);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 1 }, { extensions: { receipts: { enabled: true } } });
    const first = await ss(bob, body);
    const content = first.extensions.receipts!.rooms[roomId].content as Record<string, any>;
    expect(first.extensions.receipts!.rooms[roomId].type).toBe('m.receipt');
    expect(Object.keys(content[older]['m.read'])).toEqual([bob.userId]);
    expect(Object.keys(content[newest]['m.read'])).toEqual([alice.userId]);

    const quiet = await ss(bob, body, { pos: first.pos });
    expect(quiet.extensions.receipts!.rooms).toEqual({});
    expect((await receipt(bob, roomId, newest)).status).toBe(200);
    expect((await receipt(alice, roomId, newest, 'm.read.private')).status).toBe(200);
    const next = await ss(bob, body, { pos: quiet.pos });
    const c2 = next.extensions.receipts!.rooms[roomId].content as Record<string, any>;
    expect(c2).toEqual({ [newest]: { 'm.read': { [bob.userId]: { ts: expect.any(Number) } } } });
  });
});

describe('extension scoping', () => {
  it('covers the rooms of the lists named in `lists` and the subscriptions named in `rooms`, "*" for all', async () => {
    const [alice, bob] = await users(2);
    const [a, b, c] = [await roomWith(alice, [bob]), await roomWith(alice, [bob]), await roomWith(alice, [bob])];
    // Each room gets a message and alice's receipt on it; by recency the rooms are c, b, a.
    for (const roomId of [a, b, c]) expect((await receipt(alice, roomId, await sendOk(alice, roomId))).status).toBe(200);
    const lists = { top: { ranges: [[0, 0]], timeline_limit: 1, required_state: [] }, next: { ranges: [[1, 1]], timeline_limit: 1, required_state: [] } };
    const scope = (s: Record<string, unknown>, subscribed = true) => ({
      lists,
      ...(subscribed ? { room_subscriptions: { [a]: { timeline_limit: 1 } } } : {}),
      extensions: { receipts: { enabled: true, ...s } },
    });
    const covered = async (s: Record<string, unknown>, subscribed = true) => Object.keys((await ss(bob, scope(s, subscribed))).extensions.receipts!.rooms).sort();
    expect(await covered({ lists: ['next'], rooms: [a] })).toEqual([a, b].sort());
    expect(await covered({ lists: ['*'], rooms: [] })).toEqual([b, c].sort());
    expect(await covered({ lists: [], rooms: ['*'] })).toEqual([a, b, c].sort());
    // Defaults are "*" for both.
    expect(await covered({})).toEqual([a, b, c].sort());
    // An unknown list, or a room neither listed nor subscribed, covers nothing.
    expect(await covered({ lists: ['nope'], rooms: [a] }, false)).toEqual([]);
  });
});

describe('typing', () => {
  it('sends who is typing when it changes, in scoped rooms only', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] }, { extensions: { typing: { enabled: true } } });
    const first = await ss(bob, body);
    expect(first.extensions.typing!.rooms).toEqual({});
    expect((await typing(alice, roomId, { typing: true, timeout: 30000 })).status).toBe(200);
    const next = await ss(bob, body, { pos: first.pos });
    expect(next.extensions.typing!.rooms).toEqual({ [roomId]: { type: 'm.typing', content: { user_ids: [alice.userId] } } });
    const quiet = await ss(bob, body, { pos: next.pos });
    expect(quiet.extensions.typing!.rooms).toEqual({});
    expect((await typing(alice, roomId, { typing: false })).status).toBe(200);
    const stopped = await ss(bob, body, { pos: quiet.pos });
    expect(stopped.extensions.typing!.rooms).toEqual({ [roomId]: { type: 'm.typing', content: { user_ids: [] } } });
    // Not in scope: nothing.
    await typing(alice, roomId, { typing: true, timeout: 30000 });
    const scoped = await ss(bob, listBody({ ranges: [[0, 9]] }, { extensions: { typing: { enabled: true, lists: [], rooms: [] } } }));
    expect(scoped.extensions.typing!.rooms).toEqual({});
  });
});
