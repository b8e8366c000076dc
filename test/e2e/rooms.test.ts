// Two matrix-js-sdk clients running their normal sync loops see each other's room actions:
// create, invite, join, message, edit, react, redact, reply in a thread, leave.
import { EventType, MsgType, RelationType, type MatrixClient } from 'matrix-js-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { newClient, until } from './lib/clients';

const started: MatrixClient[] = [];
async function start(c: MatrixClient) {
  await c.startClient({ initialSyncLimit: 20, threadSupport: true });
  await until('first sync', () => c.isInitialSyncComplete());
  started.push(c);
}
afterAll(() => started.forEach((c) => c.stopClient()));

const timeline = (c: MatrixClient, roomId: string) => c.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];

describe('two users in a room, through matrix-js-sdk', () => {
  it('see each other create, invite, join, talk, edit, react, redact, thread and leave', async () => {
    const alice = await newClient('alice');
    const bob = await newClient('bob');
    await start(alice);
    await start(bob);

    const { room_id: roomId } = await alice.createRoom({ name: 'E2E room', invite: [bob.getUserId()!] });
    await until('bob sees the invite', () => bob.getRoom(roomId)?.getMyMembership() === 'invite');
    expect(bob.getRoom(roomId)!.name).toBe('E2E room');

    await bob.joinRoom(roomId);
    await until('alice sees bob join', () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join');

    const { event_id: hello } = await alice.sendTextMessage(roomId, 'hello bob');
    const seen = await until('bob sees the message', () => timeline(bob, roomId).find((e) => e.getId() === hello));
    expect(seen.getContent().body).toBe('hello bob');
    expect(seen.getSender()).toBe(alice.getUserId());

    await alice.sendEvent(roomId, EventType.RoomMessage, {
      msgtype: MsgType.Text,
      body: '* hello bobby',
      'm.new_content': { msgtype: MsgType.Text, body: 'hello bobby' },
      'm.relates_to': { rel_type: RelationType.Replace, event_id: hello },
    });
    await until('bob sees the edit applied', () => timeline(bob, roomId).find((e) => e.getId() === hello)?.getContent().body === 'hello bobby');

    const { event_id: reaction } = await bob.sendEvent(roomId, EventType.Reaction, {
      'm.relates_to': { rel_type: RelationType.Annotation, event_id: hello, key: '👍' },
    });
    const r = await until('alice sees the reaction', () => timeline(alice, roomId).find((e) => e.getId() === reaction));
    expect(r.getRelation()?.key).toBe('👍');

    const { event_id: oops } = await bob.sendTextMessage(roomId, 'oops, wrong room');
    await until('alice sees the mistake', () => timeline(alice, roomId).find((e) => e.getId() === oops));
    await bob.redactEvent(roomId, oops);
    await until('alice sees the redaction', () => timeline(alice, roomId).find((e) => e.getId() === oops)?.isRedacted());

    const { event_id: threadReply } = await bob.sendMessage(roomId, hello, { msgtype: MsgType.Text, body: 'in a thread' });
    const thread = await until('alice sees the thread', () => alice.getRoom(roomId)?.getThread(hello));
    await until('the reply is in alice\'s thread', () => thread.events.some((e) => e.getId() === threadReply));
    expect(thread.events.find((e) => e.getId() === threadReply)!.getContent().body).toBe('in a thread');

    await bob.leave(roomId);
    await until('alice sees bob leave', () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'leave');
    await until('bob has left', () => bob.getRoom(roomId)?.getMyMembership() === 'leave');
    // Having left, bob can no longer speak in the room.
    await expect(bob.sendTextMessage(roomId, 'still here?')).rejects.toMatchObject({ httpStatus: 403, errcode: 'M_FORBIDDEN' });
  });
});
