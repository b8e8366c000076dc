// Push actions of new events, unread counts and GET /notifications. The events are sent through the
// API; their push actions are computed and stored here with the functions the room server calls
// after each commit (src/services/push/room-events.ts), so these tests do not depend on that wiring.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config';
import { httpDb, type Db } from '../../../src/db/client';
import * as q from '../../../src/db/queries/rooms';
import { bulkInsert } from '../../../src/db/bulk-insert';
import { unreadCounts, unreadCountsForRooms } from '../../../src/db/queries/push';
import { eventPushActions } from '../../../src/db/schema';
import { roomVersion } from '../../../src/matrix/room-versions';
import { stateKey } from '../../../src/matrix/state-map';
import type { RoomEvent } from '../../../src/matrix/types';
import { PushRulesLoader } from '../../../src/services/push/loader';
import { pushActionsForBatch } from '../../../src/services/push/room-events';
import { RoomModel } from '../../../src/services/rooms/model';
import { call, registerUser, type TestUser } from '../helpers/client';
import { createRoom, join, member, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const enc = encodeURIComponent;
const db: Db = httpDb(env as unknown as Env);
const isLocal = (u: string) => u.endsWith(':test.local');
const loader = new PushRulesLoader(db);

async function modelOf(roomId: string): Promise<RoomModel> {
  const room = (await q.getRoom(db, roomId))!;
  const state = new Map<string, RoomEvent>();
  for (const e of await q.currentStateEvents(db, roomId)) state.set(stateKey(e.pdu.type, e.pdu.state_key!), e);
  return new RoomModel(roomId, roomVersion(room.version), state, await q.extremityEvents(db, roomId), room.currentStateGroup, room.currentChainLength);
}

/** What the room server does after committing events: compute and store their push actions. */
async function processPush(roomId: string, eventIds: string[]) {
  const stored = await q.getEvents(db, eventIds);
  const events = eventIds.map((id) => stored.get(id)!);
  const pending = await pushActionsForBatch(db, loader, await modelOf(roomId), events, isLocal);
  const positions = new Map(events.map((e) => [e.eventId, e.streamPos!]));
  // The room server stored them already when the events were sent: written again, they are kept.
  await bulkInsert(db, eventPushActions, pending.map((p) => ({ ...p, streamPos: positions.get(p.eventId)! })), sql`on conflict do nothing`);
  return pending;
}

async function sendAndProcess(user: TestUser, roomId: string, content: Record<string, unknown>, type = 'm.room.message') {
  const id = await sendOk(user, roomId, content, type);
  const pending = await processPush(roomId, [id]);
  return { id, pending };
}

const text = (body: string, extra: Record<string, unknown> = {}) => ({ msgtype: 'm.text', body, ...extra });

describe('push actions, unread counts and /notifications', () => {
  let alice: TestUser, bob: TestUser, carol: TestUser;
  let roomId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    ids.plain = (await sendAndProcess(bob, roomId, text('hello all'))).id;
    ids.mention = (await sendAndProcess(bob, roomId, text('hey carol', { 'm.mentions': { user_ids: [carol.userId] } }))).id;
    ids.thread = (await sendAndProcess(bob, roomId, text('in a thread', { 'm.relates_to': { rel_type: 'm.thread', event_id: ids.plain } }))).id;
    ids.reaction = (await sendAndProcess(bob, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: ids.thread, key: '👍' } }, 'm.reaction')).id;
    ids.notice = (await sendAndProcess(bob, roomId, { msgtype: 'm.notice', body: 'bot says' })).id;
  });

  it('notifies every member but the sender, highlighting mentions; notices and reactions do not notify', async () => {
    const plain = await processPush(roomId, [ids.plain]);
    expect(plain.map((p) => p.userId).sort()).toEqual([alice.userId, carol.userId].sort());
    expect(plain.every((p) => p.notify && !p.highlight && p.threadId === null && p.actions[0] === 'notify')).toBe(true);
    const mention = await processPush(roomId, [ids.mention]);
    expect(mention.find((p) => p.userId === carol.userId)).toMatchObject({ highlight: true, actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }] });
    expect(mention.find((p) => p.userId === alice.userId)).toMatchObject({ highlight: false });
    const thread = await processPush(roomId, [ids.thread]);
    expect(thread.map((p) => p.threadId)).toEqual([ids.plain, ids.plain]);
    expect(await processPush(roomId, [ids.notice])).toEqual([]);
    expect(await processPush(roomId, [ids.reaction])).toEqual([]);
  });

  it('counts notifications and highlights, all together or split by thread', async () => {
    expect(await unreadCounts(db, carol.userId, roomId, 0)).toEqual({ unread_notifications: { notification_count: 3, highlight_count: 1 } });
    expect(await unreadCounts(db, carol.userId, roomId, 0, new Map())).toEqual({
      unread_notifications: { notification_count: 2, highlight_count: 1 },
      unread_thread_notifications: { [ids.plain]: { notification_count: 1, highlight_count: 0 } },
    });
    expect(await unreadCounts(db, bob.userId, roomId, 0)).toEqual({ unread_notifications: { notification_count: 0, highlight_count: 0 } });
  });

  it('counts only after the read positions: unthreaded for everything, threaded per thread', async () => {
    const [mention] = (await q.getEvents(db, [ids.mention])).values();
    const [thread] = (await q.getEvents(db, [ids.thread])).values();
    // Read up to the mention (unthreaded): only the thread message is left.
    expect(await unreadCounts(db, carol.userId, roomId, mention.streamPos!)).toEqual({ unread_notifications: { notification_count: 1, highlight_count: 0 } });
    // A 'main' receipt at the mention clears the main timeline, not the thread.
    expect(await unreadCounts(db, carol.userId, roomId, 0, new Map([['main', mention.streamPos!]]))).toEqual({
      unread_notifications: { notification_count: 0, highlight_count: 0 },
      unread_thread_notifications: { [ids.plain]: { notification_count: 1, highlight_count: 0 } },
    });
    // A receipt in the thread clears the thread only.
    expect(await unreadCounts(db, carol.userId, roomId, 0, new Map([[ids.plain, thread.streamPos!]]))).toEqual({
      unread_notifications: { notification_count: 2, highlight_count: 1 },
      unread_thread_notifications: {},
    });
  });

  it('lists notifications newest first, in the spec format, paginated', async () => {
    const r = await call('GET', '/_matrix/client/v3/notifications', { token: carol.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/notifications', 200, r.body);
    expect(r.body.notifications.map((n: any) => n.event.event_id)).toEqual([ids.thread, ids.mention, ids.plain]);
    expect(r.body.next_token).toBeUndefined();
    const n = r.body.notifications[1];
    expect(n).toMatchObject({ room_id: roomId, read: false, actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }] });
    expect(n.event).toMatchObject({ type: 'm.room.message', sender: bob.userId, content: { body: 'hey carol' } });
    expect(n.event.room_id).toBeUndefined();
    expect(typeof n.ts).toBe('number');

    const p1 = await call('GET', '/_matrix/client/v3/notifications?limit=2', { token: carol.token });
    expect(p1.body.notifications.map((x: any) => x.event.event_id)).toEqual([ids.thread, ids.mention]);
    expect(typeof p1.body.next_token).toBe('string');
    const p2 = await call('GET', `/_matrix/client/v3/notifications?limit=2&from=${enc(p1.body.next_token)}`, { token: carol.token });
    expectSpec('GET /_matrix/client/v3/notifications', 200, p2.body);
    expect(p2.body.notifications.map((x: any) => x.event.event_id)).toEqual([ids.plain]);
    expect(p2.body.next_token).toBeUndefined();

    const hl = await call('GET', '/_matrix/client/v3/notifications?only=highlight', { token: carol.token });
    expect(hl.body.notifications.map((x: any) => x.event.event_id)).toEqual([ids.mention]);
    expect((await call('GET', '/_matrix/client/v3/notifications', { token: bob.token })).body).toEqual({ notifications: [] });
  });

  it('refuses bad from and limit parameters', async () => {
    for (const qs of ['from=abc', 'from=-1', 'limit=x', 'limit=-5']) {
      const r = await call('GET', `/_matrix/client/v3/notifications?${qs}`, { token: carol.token });
      expect([r.status, r.body.errcode], qs).toEqual([400, 'M_INVALID_PARAM']);
    }
    expect((await call('GET', '/_matrix/client/v3/notifications')).status).toBe(401);
  });

  it('uses read receipts: read flags and counts after m.read / m.read.private, threaded or not', async () => {
    const receipt = (type: string, eventId: string, body: Record<string, unknown> = {}) =>
      call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/${type}/${enc(eventId)}`, { token: carol.token, body });
    const r1 = await receipt('m.read.private', ids.mention, { thread_id: 'main' });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    let counts = (await unreadCountsForRooms(db, carol.userId, [roomId], true)).get(roomId)!;
    expect(counts).toEqual({ unread_notifications: { notification_count: 0, highlight_count: 0 }, unread_thread_notifications: { [ids.plain]: { notification_count: 1, highlight_count: 0 } } });
    let list = (await call('GET', '/_matrix/client/v3/notifications', { token: carol.token })).body.notifications;
    expect(list.map((n: any) => n.read)).toEqual([false, true, true]);

    expect((await receipt('m.read', ids.thread, { thread_id: ids.plain })).status).toBe(200);
    counts = (await unreadCountsForRooms(db, carol.userId, [roomId], false)).get(roomId)!;
    expect(counts).toEqual({ unread_notifications: { notification_count: 0, highlight_count: 0 } });
    list = (await call('GET', '/_matrix/client/v3/notifications', { token: carol.token })).body.notifications;
    expect(list.map((n: any) => n.read)).toEqual([true, true, true]);

    // Alice has no receipt: everything counts; rooms without notifications get zeros.
    const other = await createRoom(alice);
    const all = await unreadCountsForRooms(db, alice.userId, [roomId, other], true);
    expect(all.get(roomId)).toEqual({ unread_notifications: { notification_count: 2, highlight_count: 0 }, unread_thread_notifications: { [ids.plain]: { notification_count: 1, highlight_count: 0 } } });
    expect(all.get(other)).toEqual({ unread_notifications: { notification_count: 0, highlight_count: 0 }, unread_thread_notifications: {} });
  });
});

describe('push actions follow each user\'s rules', () => {
  it('applies changed rules at once, ignore lists, 1:1 rooms, invites and @room', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);

    // Two members: .m.rule.room_one_to_one (with sound).
    let { pending } = await sendAndProcess(alice, roomId, text('hi bob'));
    expect(pending).toEqual([expect.objectContaining({ userId: bob.userId, actions: ['notify', { set_tweak: 'sound', value: 'default' }] })]);

    // Bob mutes the room: the next event does not notify him (the loader sees the new rules).
    const mute = await call('PUT', `/_matrix/client/v3/pushrules/global/room/${enc(roomId)}`, { token: bob.token, body: { actions: [] } });
    expect(mute.status).toBe(200);
    ({ pending } = await sendAndProcess(alice, roomId, text('still there?')));
    expect(pending).toEqual([]);
    // A keyword override of his own highlights even in the muted room.
    await call('PUT', '/_matrix/client/v3/pushrules/global/override/kw', { token: bob.token, body: { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'urgent' }], actions: ['notify', { set_tweak: 'highlight' }] } });
    ({ pending } = await sendAndProcess(alice, roomId, text('this is URGENT')));
    expect(pending).toEqual([expect.objectContaining({ userId: bob.userId, highlight: true })]);
    await call('DELETE', `/_matrix/client/v3/pushrules/global/room/${enc(roomId)}`, { token: bob.token });

    // An invite notifies the (local) invitee, who is not joined yet.
    const invite = await member(alice, roomId, 'invite', carol.userId);
    expect(invite.status).toBe(200);
    const inviteEvent = (await q.currentStateEvents(db, roomId)).find((e) => e.pdu.type === 'm.room.member' && e.pdu.state_key === carol.userId)!;
    const invited = await processPush(roomId, [inviteEvent.eventId]);
    expect(invited.map((p) => p.userId)).toEqual([carol.userId]);
    expect(invited[0].actions).toEqual(['notify', { set_tweak: 'sound', value: 'default' }]);
    expect((await join(carol, roomId)).status).toBe(200);

    // Carol ignores Alice: Alice's messages do not notify her; Bob's do.
    const ignore = await call('PUT', `/_matrix/client/v3/user/${enc(carol.userId)}/account_data/m.ignored_user_list`, { token: carol.token, body: { ignored_users: { [alice.userId]: {} } } });
    expect(ignore.status).toBe(200);
    ({ pending } = await sendAndProcess(alice, roomId, text('three of us')));
    expect(pending.map((p) => p.userId)).toEqual([bob.userId]);
    ({ pending } = await sendAndProcess(bob, roomId, text('hello carol')));
    expect(pending.map((p) => p.userId).sort()).toEqual([alice.userId, carol.userId].sort());

    // @room highlights when the sender has the room notification level (Alice: 100), not from Bob (0).
    ({ pending } = await sendAndProcess(bob, roomId, text('@room', { 'm.mentions': { room: true } })));
    expect(pending.every((p) => !p.highlight)).toBe(true);
    ({ pending } = await sendAndProcess(alice, roomId, text('@room', { 'm.mentions': { room: true } })));
    expect(pending).toEqual([expect.objectContaining({ userId: bob.userId, highlight: true })]);

    // Edits of a thread message, and reactions, count in that thread when a rule makes them notify.
    const root = await sendOk(alice, roomId, text('root'));
    const inThread = await sendOk(alice, roomId, text('reply', { 'm.relates_to': { rel_type: 'm.thread', event_id: root } }));
    await call('PUT', '/_matrix/client/v3/pushrules/global/override/reactions', { token: bob.token, body: { conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.reaction' }], actions: ['notify'] } });
    ({ pending } = await sendAndProcess(alice, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: inThread, key: '🎉' } }, 'm.reaction'));
    expect(pending).toEqual([expect.objectContaining({ userId: bob.userId, threadId: root })]);
  });
});
