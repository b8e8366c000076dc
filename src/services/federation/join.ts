// Joining a room on other servers for one of our users (spec: server-server "Joining Rooms",
// the joining server's side): make_join on a resident server, fill in and sign the template,
// send_join, then the room's object takes the returned state as the room's beginning here.
import type { Env } from '../../config';
import { config } from '../../config';
import { roomObject } from '../../http/auth';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { computeEventId, generateLegacyEventId } from '../../matrix/hashes';
import { hashAndSignEvent } from '../../matrix/event-signing';
import { getRoomVersion, SUPPORTED_ROOM_VERSIONS } from '../../matrix/room-versions';
import type { JsonObject } from '../../matrix/types';
import { federationRequest, RemoteError } from './client';
import { serverSigningKey } from './server-key';
import { and, eq } from 'drizzle-orm';
import { httpDb, withRequestDb } from '../../db/client';
import { storeRemoteMembership } from '../../db/queries/federated-events';
import { roomMemberships } from '../../db/schema';
import { wakeUsers } from '../sync/wake';

type Membership = 'join' | 'leave' | 'knock';

/** make_* then send_* against the first of `servers` that answers; returns the send_* answer. */
async function remoteMembership(env: Env, roomId: string, userId: string, membership: Membership, servers: string[], extraContent: JsonObject) {
  const ours = config(env).serverName;
  let lastError: unknown;
  for (const server of servers.filter((s) => s !== ours)) {
    try {
      const query = membership === 'leave' ? '' : `?${SUPPORTED_ROOM_VERSIONS.map((v) => `ver=${v}`).join('&')}`;
      const made = await federationRequest<{ event?: JsonObject; room_version?: string }>(
        env,
        server,
        'GET',
        `/_matrix/federation/v1/make_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}${query}`,
      );
      const version = getRoomVersion(made.room_version ?? '1');
      const template = made.event;
      if (!version || !template || template.type !== 'm.room.member' || template.state_key !== userId || template.sender !== userId || template.room_id !== roomId) {
        throw new MatrixError(502, ErrCode.UNKNOWN, `${server} answered make_${membership} with an unusable template`);
      }
      const event: JsonObject = { ...template, origin: ours, origin_server_ts: Date.now(), content: { ...(template.content as JsonObject), ...extraContent, membership } };
      delete event.signatures;
      delete event.hashes;
      delete event.unsigned;
      if (version.eventIdFormat === 'v1') event.event_id = generateLegacyEventId(ours);
      const signed = await hashAndSignEvent(event, version, ours, await serverSigningKey(env));
      const eventId = await computeEventId(signed, version);
      const sendVersion = membership === 'knock' ? 'v1' : 'v2';
      const result = await federationRequest<Record<string, unknown>>(env, server, 'PUT', `/_matrix/federation/${sendVersion}/send_${membership}/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`, signed);
      return { server, version, eventId, event: signed as JsonObject, result };
    } catch (e) {
      lastError = e;
    }
  }
  if (lastError instanceof MatrixError) throw lastError;
  if (lastError instanceof RemoteError) {
    const status = lastError.status >= 500 ? 502 : lastError.status;
    throw new MatrixError(status, lastError.body?.errcode ?? ErrCode.UNKNOWN, lastError.body?.error ?? `The room's servers refused the ${membership}`);
  }
  throw new MatrixError(404, ErrCode.NOT_FOUND, 'No server in the room could be reached');
}

export async function joinRemoteRoom(env: Env, roomId: string, userId: string, servers: string[], content: JsonObject): Promise<void> {
  const { version, eventId, event, result } = await remoteMembership(env, roomId, userId, 'join', servers, content);
  // For a restricted join the resident server returns the event with its own signature added.
  const joinEvent = (result.event as JsonObject | undefined) ?? event;
  await roomObject(env, roomId).adoptJoin(roomId, version.id, joinEvent, eventId, { state: (result.state as unknown[]) ?? [], auth_chain: (result.auth_chain as unknown[]) ?? [] });
}

/**
 * Rejecting an invite to a room this server is not in (spec: "Leaving Rooms (Rejecting
 * Invites)"): the leave goes through a resident server, and the user's membership here follows.
 */
export async function rejectRemoteInvite(env: Env, roomId: string, userId: string, servers: string[], reason?: string): Promise<void> {
  const [row] = await httpDb(env).select().from(roomMemberships).where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, userId)));
  if (!row || row.membership !== 'invite') throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown room');
  const { eventId, event } = await remoteMembership(env, roomId, userId, 'leave', servers, reason === undefined ? {} : { reason });
  const pos = await withRequestDb(env, (db) => storeRemoteMembership(db, { eventId, pdu: event as never }));
  if (pos !== undefined) await wakeUsers(env, [userId], { e: pos });
}

/** Knocking on a room this server is not in (spec: "Knocking upon a room", the knocking server's side). */
export async function knockRemoteRoom(env: Env, roomId: string, userId: string, servers: string[], content: JsonObject): Promise<void> {
  const { eventId, event, result } = await remoteMembership(env, roomId, userId, 'knock', servers, content);
  // The room's stripped state comes back with the knock, for the client's knock section.
  const knockState = Array.isArray(result.knock_room_state) ? result.knock_room_state : [];
  const pdu = { ...event, unsigned: { knock_room_state: knockState } };
  const pos = await withRequestDb(env, (db) => storeRemoteMembership(db, { eventId, pdu: pdu as never }));
  if (pos !== undefined) await wakeUsers(env, [userId], { e: pos });
}
