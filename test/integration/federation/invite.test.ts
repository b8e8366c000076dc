// Invites across servers in rooms of versions 1 and 2 (spec: server-server "Inviting to a room",
// PUT /_matrix/federation/v1/invite): inbound, the body is the invite event itself and the answer
// [200, { event }] with our signature added; outbound, a server without the v2 API is asked with v1.
import { describe, expect, it } from 'vitest';
import { registerUser, uniqueName, type TestUser } from '../helpers/client';
import { createRoom, member, putState, stateMap } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { sync } from '../sync/helpers';
import { putAccountData } from '../spec-1.17-1.19/helpers';
import { fakeServer, interceptFederation, type FakeServer } from './fake-server';
import { verifyEventSignature } from '../../../src/matrix/event-signing';
import { roomVersion } from '../../../src/matrix/room-versions';
import { parseSigningKey } from '../../../src/matrix/signing';
import { env } from 'cloudflare:test';

interceptFederation();

const enc = encodeURIComponent;
const V1_OP = 'PUT /_matrix/federation/v1/invite/{roomId}/{eventId}';

/** A signed v1-format invite of `invitee` from `remote` into a room of `remote`. */
async function v1Invite(remote: FakeServer, invitee: string, over: Record<string, unknown> = {}) {
  const roomId = `!${uniqueName('room')}:${remote.name}`;
  const ref = (id: string) => [id, { sha256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }];
  const { eventId, event } = await remote.signEvent(
    {
      event_id: `$${uniqueName('inv')}:${remote.name}`,
      room_id: roomId,
      type: 'm.room.member',
      state_key: invitee,
      sender: remote.user('alice'),
      content: { membership: 'invite' },
      origin: remote.name,
      origin_server_ts: Date.now(),
      depth: 3,
      prev_events: [ref(`$prev:${remote.name}`)],
      auth_events: [ref(`$create:${remote.name}`)],
      ...over,
    },
    '1',
  );
  const strippedState = [{ type: 'm.room.create', state_key: '', sender: remote.user('alice'), content: { room_version: '1', creator: remote.user('alice') } }];
  return { roomId, eventId, event, body: { ...event, unsigned: { invite_room_state: strippedState } } };
}

function put(remote: FakeServer, roomId: string, eventId: string, body: unknown) {
  return remote.request('PUT', `/_matrix/federation/v1/invite/${enc(roomId)}/${enc(eventId)}`, { body });
}

function refused(r: { status: number; body: any }, status: number, errcode: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.errcode).toBe(errcode);
  expect(typeof r.body.error).toBe('string');
}

async function inviteOf(user: TestUser, roomId: string) {
  return (await sync(user)).rooms?.invite?.[roomId];
}

describe('PUT /_matrix/federation/v1/invite', () => {
  it('countersigns an invite of a local user, answers [200, {event}], and shows it in sync', async () => {
    const bob = await registerUser();
    const remote = await fakeServer();
    const { roomId, eventId, event, body } = await v1Invite(remote, bob.userId);
    const r = await put(remote, roomId, eventId, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(V1_OP, 200, r.body);
    expect(Array.isArray(r.body)).toBe(true);
    expect(r.body[0]).toBe(200);
    const signed = r.body[1].event;
    expect(signed.event_id).toBe(eventId);
    expect(signed.content).toEqual(event.content);
    // Both signatures: the origin's kept, ours added and valid.
    expect(signed.signatures[remote.name]).toEqual((event.signatures as Record<string, unknown>)[remote.name]);
    const own = await parseSigningKey((env as unknown as { SIGNING_KEY: string }).SIGNING_KEY);
    expect(await verifyEventSignature(signed, roomVersion('1'), 'test.local', own.keyId, own.publicKey)).toBe(true);

    const invite = await inviteOf(bob, roomId);
    expect(invite, 'the invite is in sync').toBeDefined();
    const states = invite.invite_state.events as { type: string; state_key: string; content: Record<string, unknown> }[];
    expect(states.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.content.membership).toBe('invite');
    expect(states.find((e) => e.type === 'm.room.create')?.content.room_version).toBe('1');
  });

  it('refuses an unknown user (404), a user of another server and a non-invite (400 M_INVALID_PARAM)', async () => {
    const remote = await fakeServer();
    const ghost = await v1Invite(remote, `@${uniqueName('ghost')}:test.local`);
    refused(await put(remote, ghost.roomId, ghost.eventId, ghost.body), 404, 'M_NOT_FOUND');
    const elsewhere = await v1Invite(remote, remote.user('carol'));
    refused(await put(remote, elsewhere.roomId, elsewhere.eventId, elsewhere.body), 400, 'M_INVALID_PARAM');
    const bob = await registerUser();
    const join = await v1Invite(remote, bob.userId, { content: { membership: 'join' } });
    refused(await put(remote, join.roomId, join.eventId, join.body), 400, 'M_INVALID_PARAM');
    expect(await inviteOf(bob, join.roomId)).toBeUndefined();
  });

  it('refuses a bad event: wrong signature, tampered content, an inviter of another server, ids not matching, not JSON object', async () => {
    const bob = await registerUser();
    const remote = await fakeServer();
    const other = await fakeServer();
    const good = await v1Invite(remote, bob.userId);
    // Signed by a server that is not the origin of the request.
    const foreign = await v1Invite(other, bob.userId);
    refused(await put(remote, foreign.roomId, foreign.eventId, foreign.body), 400, 'M_INVALID_PARAM');
    // Content changed after signing: the hash does not match.
    const tampered = { ...good.body, content: { membership: 'invite', reason: 'changed' } };
    refused(await put(remote, good.roomId, good.eventId, tampered), 400, 'M_INVALID_PARAM');
    // A signature that does not verify.
    const badSig = { ...good.body, signatures: { [remote.name]: { [remote.key.keyId]: 'A'.repeat(86) } } };
    refused(await put(remote, good.roomId, good.eventId, badSig), 400, 'M_INVALID_PARAM');
    // Path and event disagree.
    refused(await put(remote, good.roomId, `$other:${remote.name}`, good.body), 400, 'M_INVALID_PARAM');
    // Not an event at all.
    refused(await put(remote, good.roomId, good.eventId, [1, 2]), 400, 'M_BAD_JSON');
    const noId = { ...good.body } as Record<string, unknown>;
    delete noId.event_id;
    refused(await put(remote, good.roomId, good.eventId, noId), 400, 'M_INVALID_PARAM');
    expect(await inviteOf(bob, good.roomId)).toBeUndefined();
    // The untouched event is still accepted afterwards.
    expect((await put(remote, good.roomId, good.eventId, good.body)).status).toBe(200);
  });

  it('refuses an invite of a user who blocks invites with 403 M_INVITE_BLOCKED', async () => {
    const bob = await registerUser();
    expect((await putAccountData(bob, 'm.invite_permission_config', { default_action: 'block' })).status).toBe(200);
    const remote = await fakeServer();
    const { roomId, eventId, body } = await v1Invite(remote, bob.userId);
    const r = await put(remote, roomId, eventId, body);
    refused(r, 403, 'M_INVITE_BLOCKED');
    expectSpec(V1_OP, 403, r.body);
    expect(await inviteOf(bob, roomId)).toBeUndefined();
  });

  it('refuses an invite into a known room from a server its ACL denies', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const banned = await fakeServer();
    const roomId = await createRoom(alice, { preset: 'public_chat', room_version: '1' });
    const acl = await putState(alice, roomId, 'm.room.server_acl', { allow: ['*'], deny: [banned.name], allow_ip_literals: false });
    expect(acl.status, JSON.stringify(acl.body)).toBe(200);
    const invite = await v1Invite(banned, bob.userId, { room_id: roomId });
    refused(await put(banned, roomId, invite.eventId, invite.body), 403, 'M_FORBIDDEN');
    expect(await inviteOf(bob, roomId)).toBeUndefined();
  });

  it('refuses an unauthenticated request', async () => {
    const bob = await registerUser();
    const remote = await fakeServer();
    const { roomId, eventId, body } = await v1Invite(remote, bob.userId);
    const r = await remote.request('PUT', `/_matrix/federation/v1/invite/${enc(roomId)}/${enc(eventId)}`, { body, noAuth: true });
    refused(r, 401, 'M_UNAUTHORIZED');
  });
});

describe('outbound invites to a server without the v2 API', () => {
  /** The remote answers v1 invites with its signature added; v2 is left unrecognised (404). */
  function answerV1(remote: FakeServer) {
    remote.on('PUT', /^\/_matrix\/federation\/v1\/invite\//, async (req) => {
      const { unsigned: _unsigned, ...event } = req.body as Record<string, unknown>;
      const { event: signed } = await remote.signEvent(event, '1');
      return [200, { event: { ...event, signatures: { ...(event.signatures as object), ...(signed.signatures as object) } } }];
    });
  }

  /** Alice invites bob of a server that speaks v1 only into a new room of `version`. */
  async function inviteToRoomOf(version: string) {
    const alice = await registerUser();
    const remote = await fakeServer();
    answerV1(remote);
    const roomId = await createRoom(alice, { room_version: version });
    const bob = remote.user('bob');
    return { alice, remote, roomId, bob, r: await member(alice, roomId, 'invite', bob) };
  }

  it('falls back to v1 for a room of version 1', async () => {
    const { alice, remote, roomId, bob, r } = await inviteToRoomOf('1');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await stateMap(alice, roomId)).get(`m.room.member|${bob}`)?.content.membership).toBe('invite');
    const v2 = remote.received.find((x) => x.url.pathname.startsWith('/_matrix/federation/v2/invite/'));
    const v1 = remote.received.find((x) => x.url.pathname.startsWith('/_matrix/federation/v1/invite/'));
    expect(v2, 'v2 is tried first').toBeDefined();
    expect(v1, 'then v1').toBeDefined();
    const sent = v1!.body as Record<string, any>;
    expect(sent.type).toBe('m.room.member');
    expect(sent.state_key).toBe(bob);
    expect(Array.isArray(sent.unsigned.invite_room_state)).toBe(true);
  });

  it('does not fall back for a room of a later version', async () => {
    const { alice, remote, roomId, bob, r } = await inviteToRoomOf('10');
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_UNRECOGNIZED');
    expect(remote.received.some((x) => x.url.pathname.startsWith('/_matrix/federation/v1/invite/'))).toBe(false);
    expect((await stateMap(alice, roomId)).get(`m.room.member|${bob}`)).toBeUndefined();
  });
});
