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
    // Bob's first sync on his own server carries the room's state from before his join.
    const first = await syncUntil(bob, 'the room on B', (s) => s.rooms?.join?.[roomId]);
    expect(first.state.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.power_levels']));

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

  it('an invite crosses servers with the room\'s stripped state; edits and redactions follow', async () => {
    const alice = await register(a, 'alice');
    const bob = await register(b, 'bob');
    const created = await call(alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', name: 'Invite only', invite: [bob.userId] });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId = created.body.room_id;

    const invite = await syncUntil(bob, 'the invite on B', (s) => s.rooms?.invite?.[roomId]);
    const stripped = invite.invite_state.events;
    expect(stripped.find((e: { type: string }) => e.type === 'm.room.name').content.name).toBe('Invite only');
    expect(stripped.find((e: { type: string; state_key: string }) => e.type === 'm.room.member' && e.state_key === bob.userId).content.membership).toBe('invite');

    // The invite names alice's server, so bob's join needs no `via`.
    const joined = await call(bob, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);

    const original = await send(alice, roomId, { msgtype: 'm.text', body: 'typo' });
    await send(alice, roomId, { msgtype: 'm.text', body: '* fixed', 'm.new_content': { msgtype: 'm.text', body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original } });
    const edited = await syncUntil(bob, 'the edit on B', (s) => timelineOf(s, roomId).find((e) => e.content?.['m.relates_to']?.rel_type === 'm.replace'));
    expect(edited.content['m.new_content'].body).toBe('fixed');
    const bundled = await call(bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(original)}`);
    expect(bundled.body.unsigned['m.relations']['m.replace'].event_id).toBe(edited.event_id);

    const redaction = await call(alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(original)}/r1`, { reason: 'oops' });
    expect(redaction.status).toBe(200);
    await syncUntil(bob, 'the redaction on B', (s) => timelineOf(s, roomId).find((e) => e.type === 'm.room.redaction'));
    const gone = await call(bob, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(original)}`);
    expect(gone.body.content).toEqual({});
    expect(gone.body.unsigned.redacted_because.event_id).toBe(redaction.body.event_id);
  });

  it('an invite from another server can be rejected', async () => {
    const alice = await register(a, 'alice');
    const bob = await register(b, 'bob');
    const created = await call(alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'private_chat', invite: [bob.userId] });
    const roomId = created.body.room_id;
    await syncUntil(bob, 'the invite on B', (s) => s.rooms?.invite?.[roomId]);
    const left = await call(bob, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
    expect(left.status, JSON.stringify(left.body)).toBe(200);
    await syncUntil(bob, 'the rejection on B', (s) => s.rooms?.leave?.[roomId] ?? undefined);
    await syncUntil(alice, "bob's rejection on A", (s) => timelineOf(s, roomId).find((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'leave'));
  });

  it('a user knocks on a room of another server, is let in, and joins', async () => {
    const alice = await register(a, 'alice');
    const bob = await register(b, 'bob');
    const created = await call(alice, 'POST', '/_matrix/client/v3/createRoom', { name: 'Knock knock', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    const roomId = created.body.room_id;
    const knocked = await call(bob, 'POST', `/_matrix/client/v3/knock/${enc(roomId)}?via=${enc(aName)}`, { reason: 'let me in' });
    expect(knocked.status, JSON.stringify(knocked.body)).toBe(200);
    const knock = await syncUntil(bob, 'the knock on B', (s) => s.rooms?.knock?.[roomId]);
    expect(knock.knock_state.events.find((e: { type: string }) => e.type === 'm.room.name').content.name).toBe('Knock knock');
    const seen = await syncUntil(alice, 'the knock on A', (s) => timelineOf(s, roomId).find((e) => e.type === 'm.room.member' && e.state_key === bob.userId));
    expect(seen.content).toMatchObject({ membership: 'knock', reason: 'let me in' });

    expect((await call(alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status).toBe(200);
    await syncUntil(bob, 'the invite on B', (s) => s.rooms?.invite?.[roomId]);
    expect((await call(bob, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
    await syncUntil(alice, "bob's join on A", (s) => timelineOf(s, roomId).find((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'join'));
    const members = await call(alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
    expect(Object.keys(members.body.joined).sort()).toEqual([alice.userId, bob.userId].sort());
  });
});
