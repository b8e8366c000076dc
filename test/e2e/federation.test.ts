// Two homeservers on loopback (test/setup/server.ts): rooms, messages and state flow both ways.
import { describe, expect, inject, it } from 'vitest';
import { call, register, send, syncUntil, timelineOf } from './lib/http-client';

const a = inject('homeserverUrl');
const b = inject('remoteHomeserverUrl');
const bName = inject('remoteServerName');
const aName = inject('serverName');
const enc = encodeURIComponent;

describe('federation between two servers', () => {
  it('a user of one server joins a public room of the other, and messages flow both ways', async () => {
    const alice = await register(a, 'alice');
    const bob = await register(b, 'bob');
    const created = await call(alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'Across' });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id;

    const joined = await call(bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=${enc(aName)}`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const name = await call(bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name`);
    expect(name.body).toEqual({ name: 'Across' });

    await syncUntil(alice, "bob's join on alice's server", (s) => timelineOf(s, roomId).find((e) => e.type === 'm.room.member' && e.state_key === bob.userId));
    const fromAlice = await send(alice, roomId, { msgtype: 'm.text', body: 'hello from A' });
    const seenByBob = await syncUntil(bob, 'alice\'s message on B', (s) => timelineOf(s, roomId).find((e) => e.event_id === fromAlice));
    expect(seenByBob.content.body).toBe('hello from A');
    expect(seenByBob.sender).toBe(alice.userId);

    const fromBob = await send(bob, roomId, { msgtype: 'm.text', body: 'hello from B' });
    const seenByAlice = await syncUntil(alice, "bob's message on A", (s) => timelineOf(s, roomId).find((e) => e.event_id === fromBob));
    expect(seenByAlice.content.body).toBe('hello from B');
    expect(bName).not.toBe(aName);
  });
});
