// The m.forget_forced_upon_leave capability (v1.18, MSC4267) and FORGET_ROOMS_ON_LEAVE: when on,
// a room a local user leaves, or is kicked or banned from, is forgotten as if they had called
// /forget; the capability says which. Clients still learn of the leave in their next sync.
import { env, runInDurableObject } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { roomMemberships } from '../../../src/db/schema';
import { call, registerUser, type TestUser } from '../helpers/client';
import { createRoom, getEvent, join, leave, member, messages, sendOk, v3 } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { sync } from '../sync/helpers';
import { db } from './helpers';

/**
 * The room's object reads its configuration from its own environment, which `vars` (a Worker
 * request's) does not reach: it is switched on in that one object, as a deployment would have it.
 */
async function forgetOnLeaveIn(roomId: string): Promise<void> {
  const stub = env.ROOM.get(env.ROOM.idFromName(roomId));
  await runInDurableObject(stub, (instance) => {
    const o = instance as unknown as { env: Record<string, unknown> };
    o.env = { ...o.env, FORGET_ROOMS_ON_LEAVE: 'on' };
  });
}

async function forgotten(roomId: string, user: TestUser): Promise<boolean | undefined> {
  const [row] = await db().select().from(roomMemberships).where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, user.userId)));
  return row?.forgotten;
}

describe('m.forget_forced_upon_leave', () => {
  it('the capability follows FORGET_ROOMS_ON_LEAVE (off by default)', async () => {
    const bob = await registerUser();
    const off = await call('GET', v3('/capabilities'), { token: bob.token });
    expect(off.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/capabilities', 200, off.body);
    expect(off.body.capabilities['m.forget_forced_upon_leave']).toEqual({ enabled: false });
    const on = await call('GET', v3('/capabilities'), { token: bob.token, vars: { FORGET_ROOMS_ON_LEAVE: 'on' } });
    expectSpec('GET /_matrix/client/v3/capabilities', 200, on.body);
    expect(on.body.capabilities['m.forget_forced_upon_leave']).toEqual({ enabled: true });
    const bad = await call('GET', v3('/capabilities'), { token: bob.token, vars: { FORGET_ROOMS_ON_LEAVE: 'sometimes' } });
    expect(bad.status).toBe(500);
  });

  it('when on, leaving, being kicked and being banned forget the room', async () => {
    const [alice, bob, carol, dave] = [await registerUser(), await registerUser(), await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    await forgetOnLeaveIn(roomId);
    for (const u of [bob, carol, dave]) expect((await join(u, roomId)).status).toBe(200);
    const msg = await sendOk(alice, roomId);
    const before = await sync(bob);

    expect((await leave(bob, roomId)).status).toBe(200);
    expect((await member(alice, roomId, 'kick', carol.userId)).status).toBe(200);
    expect((await member(alice, roomId, 'ban', dave.userId)).status).toBe(200);
    for (const u of [bob, carol, dave]) expect(await forgotten(roomId, u)).toBe(true);
    expect(await forgotten(roomId, alice)).toBe(false);

    // As after /forget: no history, and no room even with include_leave...
    expect((await messages(bob, roomId, { dir: 'b' })).status).toBe(403);
    expect((await getEvent(carol, roomId, msg)).status).toBe(404);
    expect((await sync(bob, { filter: { room: { include_leave: true } } })).rooms?.leave?.[roomId]).toBeUndefined();
    // ...but the sync that follows the leave still tells the client it left.
    const after = await sync(bob, { since: before.next_batch });
    expect(after.rooms?.join?.[roomId]).toBeUndefined();
    expect(after.rooms.leave[roomId].timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, content: { membership: 'leave' } });
    expect((await sync(bob, { since: after.next_batch })).rooms?.leave?.[roomId]).toBeUndefined();

    // Joining again is possible, and the room is no longer forgotten.
    expect((await join(bob, roomId)).status).toBe(200);
    expect(await forgotten(roomId, bob)).toBe(false);
    expect((await getEvent(bob, roomId, msg)).status).toBe(200);
  });

  it('when off (the default), a left room stays until /forget', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const msg = await sendOk(alice, roomId);
    expect((await leave(bob, roomId)).status).toBe(200);
    expect(await forgotten(roomId, bob)).toBe(false);
    expect((await getEvent(bob, roomId, msg)).status).toBe(200);
    expect((await sync(bob, { filter: { room: { include_leave: true } } })).rooms.leave[roomId]).toBeDefined();
  });
});
