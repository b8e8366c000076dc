// Presence (spec: modules/presence.md, presence.yaml; GET /sync `presence` and `set_presence`).
import { describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/client';
import { expectEventSpec, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { getPresence, roomWith, setPresence, sync, users, type SyncBody } from './helpers';

const presenceOf = (b: SyncBody, userId: string) => (b.presence?.events ?? []).filter((e: any) => e.sender === userId);

async function presenceOk(viewer: Parameters<typeof getPresence>[0], userId: string) {
  const r = await getPresence(viewer, userId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/presence/{userId}/status', 200, r.body);
  return r.body;
}

describe('PUT and GET /presence/{userId}/status', () => {
  it('a user sets their own presence and status message, and reads it back', async () => {
    const alice = await registerUser();
    const put = await setPresence(alice, { presence: 'online', status_msg: 'at lunch' });
    expect(put.status).toBe(200);
    expectSpec('PUT /_matrix/client/v3/presence/{userId}/status', 200, put.body);
    const p = await presenceOk(alice, alice.userId);
    expect(p).toMatchObject({ presence: 'online', status_msg: 'at lunch', currently_active: true });
    expect(p.last_active_ago).toBeGreaterThanOrEqual(0);
    expect(p.last_active_ago).toBeLessThan(60_000);
    // Changing the state alone keeps the status message.
    expect((await setPresence(alice, { presence: 'unavailable' })).status).toBe(200);
    expect(await presenceOk(alice, alice.userId)).toMatchObject({ presence: 'unavailable', status_msg: 'at lunch' });
    // A null status message clears it.
    expect((await setPresence(alice, { presence: 'online', status_msg: null })).status).toBe(200);
    expect((await presenceOk(alice, alice.userId)).status_msg ?? null).toBeNull();
  });

  it("refuses to set someone else's presence (403) and bad bodies (400)", async () => {
    const [alice, bob] = await users(2);
    await roomWith(alice, [bob]);
    expect((await setPresence(bob, { presence: 'online' })).status).toBe(200);
    const other = await setPresence(alice, { presence: 'offline' }, bob.userId);
    expect(other.status).toBe(403);
    expect(other.body.errcode).toBe('M_FORBIDDEN');
    for (const body of [{ presence: 'busy' }, {}, { presence: 'online', status_msg: 7 }]) {
      const r = await setPresence(alice, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
    expect((await presenceOk(alice, bob.userId)).presence).toBe('online');
  });

  it('room mates may read it; others are refused (403); unknown users are 404', async () => {
    const [alice, bob, carol] = await users(3);
    await roomWith(alice, [bob]);
    expect((await setPresence(alice, { presence: 'unavailable', status_msg: 'away' })).status).toBe(200);
    expect(await presenceOk(bob, alice.userId)).toMatchObject({ presence: 'unavailable', status_msg: 'away' });
    const stranger = await getPresence(carol, alice.userId);
    expect(stranger.status).toBe(403);
    expect(stranger.body.errcode).toBe('M_FORBIDDEN');
    const nobody = await getPresence(carol, '@nobody-here-at-all:test.local');
    expect(nobody.status).toBe(404);
    expect(nobody.body.errcode).toBe('M_NOT_FOUND');
  });
});

describe('presence in /sync', () => {
  it('a room mate’s presence change reaches the next sync; a stranger sees nothing', async () => {
    const [alice, bob, carol] = await users(3);
    await roomWith(alice, [bob]);
    const bobFirst = await sync(bob, { set_presence: 'offline' });
    const carolFirst = await sync(carol, { set_presence: 'offline' });
    expect((await setPresence(alice, { presence: 'unavailable', status_msg: 'in a meeting' })).status).toBe(200);
    const b = await sync(bob, { since: bobFirst.next_batch, set_presence: 'offline' });
    const events = presenceOf(b, alice.userId);
    expect(events).toHaveLength(1);
    expectEventSpec(events[0] as Ev);
    expect(events[0]).toMatchObject({ type: 'm.presence', sender: alice.userId, content: { presence: 'unavailable', status_msg: 'in a meeting' } });
    expect(events[0].content.last_active_ago).toEqual(expect.any(Number));
    const c = await sync(carol, { since: carolFirst.next_batch, set_presence: 'offline' });
    expect(presenceOf(c, alice.userId)).toEqual([]);
    expect(presenceOf(await sync(carol, { set_presence: 'offline' }), alice.userId)).toEqual([]);
  });

  it('syncing marks a user online unless set_presence says offline or unavailable', async () => {
    const [alice, dan] = await users(2);
    await roomWith(alice, [dan]);
    await sync(dan, { set_presence: 'offline' });
    expect((await presenceOk(alice, dan.userId)).presence).toBe('offline');
    await sync(dan, { set_presence: 'unavailable' });
    expect((await presenceOk(alice, dan.userId)).presence).toBe('unavailable');
    const first = await sync(alice, { set_presence: 'offline' });
    await sync(dan);
    const online = await presenceOk(alice, dan.userId);
    expect(online).toMatchObject({ presence: 'online', currently_active: true });
    expect(online.last_active_ago).toBeLessThan(60_000);
    // And the room mate's sync carries the change.
    const b = await sync(alice, { since: first.next_batch, set_presence: 'offline' });
    expect(presenceOf(b, dan.userId).at(-1)?.content).toMatchObject({ presence: 'online', currently_active: true });
  });
});
