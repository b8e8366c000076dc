// Long-polling /sync (spec: client-server "Syncing"; sync.yaml `timeout`): a parked sync returns as
// soon as something arrives for the user, or empty at the timeout.
import { describe, expect, it } from 'vitest';
import { login } from '../helpers/client';
import { sendOk } from '../helpers/rooms';
import {
  ephemeralOf,
  invite,
  joined,
  putAccountData,
  receipt,
  roomAccountDataOf,
  roomWith,
  setPresence,
  sleep,
  sync,
  timelineIds,
  typing,
  users,
  type SyncBody,
} from './helpers';

/** Wake-ups must reach a parked sync within this long after the change is acknowledged. */
const WAKE_MS = 1000;
const PARK_MS = 300;

/**
 * Parks a sync with a long timeout, runs `act` once it is parked, and returns the response and how
 * long after `act` completed it came back.
 */
async function parkThen(user: { token: string }, since: string, act: () => Promise<unknown>): Promise<{ body: SyncBody; afterAct: number; total: number }> {
  const started = Date.now();
  let returned = 0;
  const poll = sync(user, { since, timeout: 10_000, set_presence: 'offline' }).then((b) => {
    returned = Date.now();
    return b;
  });
  await sleep(PARK_MS);
  expect(returned, 'the sync returned before anything happened').toBe(0);
  await act();
  const acted = Date.now();
  const body = await poll;
  return { body, afterAct: returned - acted, total: returned - started };
}

describe('long-poll', () => {
  it("returns within a second of a room mate's message", async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob, { set_presence: 'offline' });
    let id = '';
    const { body, afterAct } = await parkThen(bob, first.next_batch, async () => (id = await sendOk(alice, roomId)));
    expect(timelineIds(body, roomId)).toEqual([id]);
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  it('wakes every parked sync of the user, one per device', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const second = await login(bob);
    expect(second.status).toBe(200);
    const phone = { token: second.body.access_token as string };
    const a = await sync(bob, { set_presence: 'offline' });
    const b = await sync(phone, { set_presence: 'offline' });
    const polls = [sync(bob, { since: a.next_batch, timeout: 20_000, set_presence: 'offline' }), sync(phone, { since: b.next_batch, timeout: 20_000, set_presence: 'offline' })];
    await sleep(PARK_MS);
    const id = await sendOk(alice, roomId);
    const acted = Date.now();
    for (const r of await Promise.all(polls)) expect(timelineIds(r, roomId)).toEqual([id]);
    expect(Date.now() - acted).toBeLessThan(WAKE_MS);
  });

  it('returns empty at the timeout when nothing happens, with a next_batch that still works', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob, { set_presence: 'offline' });
    const started = Date.now();
    const idle = await sync(bob, { since: first.next_batch, timeout: 1500, set_presence: 'offline' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(joined(idle, roomId)).toBeUndefined();
    const id = await sendOk(alice, roomId);
    const next = await sync(bob, { since: idle.next_batch, set_presence: 'offline' });
    expect(timelineIds(next, roomId)).toEqual([id]);
  });

  it('a no-news sync with timeout=0 returns at once with the same next_batch', async () => {
    const [alice, bob] = await users(2);
    await roomWith(alice, [bob]);
    const first = await sync(bob, { set_presence: 'offline' });
    const a = await sync(bob, { since: first.next_batch, timeout: 0, set_presence: 'offline' });
    expect(a.next_batch).toBe(first.next_batch);
    expect(a.rooms).toBeUndefined();
    const b = await sync(bob, { since: a.next_batch, set_presence: 'offline' });
    expect(b.next_batch).toBe(first.next_batch);
  });

  it('returns for a receipt', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(bob, roomId);
    const first = await sync(bob, { set_presence: 'offline' });
    const { body, afterAct } = await parkThen(bob, first.next_batch, () => receipt(alice, roomId, msg));
    const r = ephemeralOf(body, roomId).find((e) => e.type === 'm.receipt');
    expect(r?.content[msg]['m.read'][alice.userId]).toBeDefined();
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  it('returns for typing', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob, { set_presence: 'offline' });
    const { body, afterAct } = await parkThen(bob, first.next_batch, () => typing(alice, roomId, { typing: true, timeout: 10_000 }));
    expect(ephemeralOf(body, roomId).find((e) => e.type === 'm.typing')?.content.user_ids).toEqual([alice.userId]);
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  it('returns for an invite', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, []);
    const first = await sync(bob, { set_presence: 'offline' });
    const { body, afterAct } = await parkThen(bob, first.next_batch, () => invite(alice, roomId, bob));
    expect(body.rooms?.invite?.[roomId]).toBeDefined();
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  it("returns for a room mate's presence", async () => {
    const [alice, bob] = await users(2);
    await roomWith(alice, [bob]);
    const first = await sync(bob, { set_presence: 'offline' });
    const { body, afterAct } = await parkThen(bob, first.next_batch, () => setPresence(alice, { presence: 'online', status_msg: 'hi' }));
    expect((body.presence?.events ?? []).find((e: any) => e.sender === alice.userId)?.content.status_msg).toBe('hi');
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  // Spec (sync.yaml, timeout): the server waits "If no events (or other data) become available";
  // account data is such data: a PUT of account data wakes the user's parked syncs.
  it('returns for an account data change', async () => {
    const [bob] = await users(1);
    const first = await sync(bob, { set_presence: 'offline' });
    const { body, afterAct } = await parkThen(bob, first.next_batch, () => putAccountData(bob, 'org.example.poll', { p: 1 }));
    expect(body.account_data?.events ?? []).toContainEqual({ type: 'org.example.poll', content: { p: 1 } });
    expect(afterAct).toBeLessThan(WAKE_MS);
  });

  it('returns for a room account data change', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob, { set_presence: 'offline' });
    const { body, afterAct } = await parkThen(bob, first.next_batch, () => putAccountData(bob, 'org.example.poll', { p: 2 }, roomId));
    expect(roomAccountDataOf(body, roomId)).toContainEqual({ type: 'org.example.poll', content: { p: 2 } });
    expect(afterAct).toBeLessThan(WAKE_MS);
  });
});
