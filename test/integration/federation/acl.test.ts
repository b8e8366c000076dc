// m.room.server_acl on every inbound request that concerns a room (spec: server-server "Server
// Access Control Lists (ACLs)"): a server the ACL denies gets 403 M_FORBIDDEN, and its PDUs are
// refused one by one inside an otherwise accepted transaction. EDUs are covered by edus.test.ts.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/client';
import { createRoom, putState, sendOk, stateMap, timeline } from '../helpers/rooms';
import { fakeServer, interceptFederation, type FakeServer } from './fake-server';

interceptFederation();

const enc = encodeURIComponent;
const VERSION = '10';
const ALL_VERSIONS = Array.from({ length: 12 }, (_, i) => `ver=${i + 1}`).join('&');

/** A public room with a user of `banned` and one of `friend` in it, whose ACL then denies `banned`. */
async function aclRoom() {
  const [banned, friend] = [await fakeServer(), await fakeServer()];
  const alice = await registerUser();
  const roomId = await createRoom(alice, { preset: 'public_chat', room_version: VERSION });
  const bob = banned.user('bob');
  const join = await banned.joinRoom(roomId, bob);
  await friend.joinRoom(roomId, friend.user('fred'));
  const eventId = await sendOk(alice, roomId);
  // Templates fetched while still allowed, to be used after the ban.
  const laterJoiner = banned.user('late');
  const template = await banned.request('GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(laterJoiner)}?${ALL_VERSIONS}`);
  expect(template.status).toBe(200);
  const acl = await putState(alice, roomId, 'm.room.server_acl', { allow: ['*'], deny: [`${banned.name.slice(0, -'.test'.length)}*`], allow_ip_literals: false });
  expect(acl.status, JSON.stringify(acl.body)).toBe(200);
  return { alice, roomId, banned, friend, bob, join, eventId, template: template.body.event as Record<string, unknown> };
}

async function expectDenied(server: FakeServer, method: string, path: string, body?: unknown) {
  const r = await server.request(method, path, { body });
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(403);
  expect(r.body.errcode).toBe('M_FORBIDDEN');
}

describe('m.room.server_acl', () => {
  it('refuses every room request of a denied server, and still answers an allowed one', async () => {
    const { roomId, banned, friend, eventId } = await aclRoom();
    const room = enc(roomId);
    const reads: [string, string, unknown?][] = [
      ['GET', `/_matrix/federation/v1/state/${room}?event_id=${enc(eventId)}`],
      ['GET', `/_matrix/federation/v1/state_ids/${room}?event_id=${enc(eventId)}`],
      ['GET', `/_matrix/federation/v1/event/${enc(eventId)}`],
      ['GET', `/_matrix/federation/v1/event_auth/${room}/${enc(eventId)}`],
      ['GET', `/_matrix/federation/v1/backfill/${room}?v=${enc(eventId)}&limit=5`],
      ['POST', `/_matrix/federation/v1/get_missing_events/${room}`, { earliest_events: [], latest_events: [eventId], limit: 5 }],
      ['GET', `/_matrix/federation/v1/timestamp_to_event/${room}?ts=${Date.now()}&dir=b`],
    ];
    for (const [method, path, body] of reads) {
      await expectDenied(banned, method, path, body);
      const allowed = await friend.request(method, path, { body });
      expect(allowed.status, `${method} ${path}: ${JSON.stringify(allowed.body)}`).toBe(200);
    }
  });

  it('refuses make_join, make_leave and make_knock, and a send_join built before the ban', async () => {
    const { alice, roomId, banned, template } = await aclRoom();
    const room = enc(roomId);
    const user = enc(banned.user('new'));
    await expectDenied(banned, 'GET', `/_matrix/federation/v1/make_join/${room}/${user}?${ALL_VERSIONS}`);
    await expectDenied(banned, 'GET', `/_matrix/federation/v1/make_leave/${room}/${user}`);
    await expectDenied(banned, 'GET', `/_matrix/federation/v1/make_knock/${room}/${user}?${ALL_VERSIONS}`);
    const { eventId, event } = await banned.signEvent({ ...template, origin_server_ts: Date.now() }, VERSION);
    await expectDenied(banned, 'PUT', `/_matrix/federation/v2/send_join/${room}/${enc(eventId)}`, event);
    await expectDenied(banned, 'PUT', `/_matrix/federation/v2/send_leave/${room}/${enc(eventId)}`, event);
    await expectDenied(banned, 'PUT', `/_matrix/federation/v1/send_knock/${room}/${enc(eventId)}`, event);
    expect((await stateMap(alice, roomId)).get(`m.room.member|${template.state_key}`)).toBeUndefined();
  });

  it('refuses the PDUs of a denied server in a transaction, one by one', async () => {
    const { alice, roomId, banned, bob, join } = await aclRoom();
    const state = await stateMap(alice, roomId);
    const msg = await banned.signEvent(
      {
        type: 'm.room.message',
        room_id: roomId,
        sender: bob,
        origin: banned.name,
        origin_server_ts: Date.now(),
        content: { msgtype: 'm.text', body: 'from a banned server' },
        depth: (join.event.depth as number) + 1,
        prev_events: [join.eventId],
        auth_events: [state.get('m.room.create|')!.event_id, state.get('m.room.power_levels|')!.event_id, join.eventId],
      },
      VERSION,
    );
    const r = await banned.transaction([], [msg.event]);
    expect(r.status).toBe(200);
    expect(r.body.pdus[msg.eventId].error).toMatch(/ACL/);
    expect((await timeline(alice, roomId)).map((e) => e.event_id)).not.toContain(msg.eventId);
  });

  it('refuses an invite into the room from a denied server', async () => {
    const { alice, roomId, banned, bob, join } = await aclRoom();
    const carol = await registerUser();
    const state = await stateMap(alice, roomId);
    const invite = await banned.signEvent(
      {
        type: 'm.room.member',
        state_key: carol.userId,
        room_id: roomId,
        sender: bob,
        origin: banned.name,
        origin_server_ts: Date.now(),
        content: { membership: 'invite' },
        depth: (join.event.depth as number) + 1,
        prev_events: [join.eventId],
        auth_events: [state.get('m.room.create|')!.event_id, state.get('m.room.power_levels|')!.event_id, state.get('m.room.join_rules|')!.event_id, join.eventId],
      },
      VERSION,
    );
    await expectDenied(banned, 'PUT', `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(invite.eventId)}`, { event: invite.event, room_version: VERSION, invite_room_state: [] });
    expect((await stateMap(alice, roomId)).get(`m.room.member|${carol.userId}`)).toBeUndefined();
  });
});
