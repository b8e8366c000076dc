// Account data in /sync (spec: modules/account_data.md "Client Config"; GET /sync `account_data`
// and rooms.join/leave `account_data`).
import { describe, expect, it } from 'vitest';
import { leave } from '../helpers/rooms';
import { joined, putAccountData, roomAccountDataOf, roomWith, sync, users } from './helpers';

describe('account data in sync', () => {
  it('global account data is in the initial sync, one event per type with the latest content', async () => {
    const [bob] = await users(1);
    expect((await putAccountData(bob, 'org.example.settings', { v: 1 })).status).toBe(200);
    expect((await putAccountData(bob, 'org.example.settings', { v: 2 })).status).toBe(200);
    expect((await putAccountData(bob, 'org.example.other', { x: true })).status).toBe(200);
    const b = await sync(bob);
    const events = b.account_data.events.filter((e: any) => e.type.startsWith('org.example.'));
    expect(events).toHaveLength(2);
    expect(events).toContainEqual({ type: 'org.example.settings', content: { v: 2 } });
    expect(events).toContainEqual({ type: 'org.example.other', content: { x: true } });
  });

  it('room account data is in the room’s section, not in the global one', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const other = await roomWith(alice, [bob]);
    expect((await putAccountData(bob, 'org.example.room', { pinned: true }, roomId)).status).toBe(200);
    const b = await sync(bob);
    expect(roomAccountDataOf(b, roomId)).toEqual([{ type: 'org.example.room', content: { pinned: true } }]);
    expect(roomAccountDataOf(b, other)).toEqual([]);
    expect((b.account_data?.events ?? []).map((e: any) => e.type)).not.toContain('org.example.room');
  });

  it('account data is private to its user', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    expect((await putAccountData(alice, 'org.example.secret', { s: 1 })).status).toBe(200);
    expect((await putAccountData(alice, 'org.example.secret', { s: 2 }, roomId)).status).toBe(200);
    const b = await sync(bob);
    expect((b.account_data?.events ?? []).map((e: any) => e.type)).not.toContain('org.example.secret');
    expect(roomAccountDataOf(b, roomId).map((e) => e.type)).not.toContain('org.example.secret');
    // And nobody writes another user's account data.
    const bad = await putAccountData({ ...bob, userId: alice.userId }, 'org.example.x', {});
    expect(bad.status).toBe(403);
    expect(bad.body.errcode).toBe('M_FORBIDDEN');
  });

  it('a left room carries its account data in rooms.leave', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    expect((await putAccountData(bob, 'org.example.kept', { k: 1 }, roomId)).status).toBe(200);
    expect((await leave(bob, roomId)).status).toBe(200);
    const b = await sync(bob, { filter: { room: { include_leave: true } } });
    expect(joined(b, roomId)).toBeUndefined();
    expect(b.rooms.leave[roomId].account_data.events).toContainEqual({ type: 'org.example.kept', content: { k: 1 } });
  });

  // Spec (modules/account_data.md): account data changes come down /sync ("the client receives
  // the account data as events in the account_data sections of a /sync"), at once: the user's
  // object must not answer the next incremental sync as "nothing new" from memory.
  it('a global account data change reaches the next incremental sync', async () => {
    const [bob] = await users(1);
    const first = await sync(bob);
    expect((await putAccountData(bob, 'org.example.later', { n: 1 })).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(b.account_data?.events ?? []).toContainEqual({ type: 'org.example.later', content: { n: 1 } });
  });

  it('a room account data change reaches the next incremental sync', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    expect((await putAccountData(bob, 'org.example.later', { n: 2 }, roomId)).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(roomAccountDataOf(b, roomId)).toContainEqual({ type: 'org.example.later', content: { n: 2 } });
  });

  // Spec (modules/account_data.md, Server Behaviour): "Servers MUST reject setting account data for
  // event types that the server manages by using a 405 error response. Currently, this only includes
  // m.fully_read and m.push_rules. This applies to both global and room-specific account data."
  it('m.fully_read and m.push_rules are refused (405) both globally and per room', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    for (const type of ['m.fully_read', 'm.push_rules']) {
      for (const room of [undefined, roomId]) {
        const r = await putAccountData(bob, type, { event_id: '$x', global: {} }, room);
        expect(r.status, `${type} ${room ?? 'global'}`).toBe(405);
        expect(r.body.errcode).toBe('M_BAD_JSON');
      }
    }
  });
});
