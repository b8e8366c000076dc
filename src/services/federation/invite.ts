// Invites across servers (spec: server-server "Inviting to a room"). Inbound: another server asks
// us to countersign an invite of one of our users, which we keep (with the room's stripped state)
// so the user sees it in /sync. Outbound: our room asks the invitee's server to countersign.
import type { Env } from '../../config';
import { config } from '../../config';
import { withRequestDb, type PooledDb } from '../../db/client';
import { userExists } from '../../db/queries/accounts';
import { storeRemoteInvite } from '../../db/queries/federated-events';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { hashAndSignEvent } from '../../matrix/event-signing';
import { serverNameOf } from '../../matrix/ids';
import { getRoomVersion, type RoomVersion } from '../../matrix/room-versions';
import type { Pdu, RoomEvent } from '../../matrix/types';
import { wakeUsers } from '../sync/wake';
import { refuseBlockedInvite } from '../moderation/invite-permission';
import { federationRequest, RemoteError } from './client';
import { serverAllowedInRoom } from './acl';
import { checkReceivedPdu } from './event-checks';
import { serverSigningKey } from './server-key';

interface InviteBody {
  event?: unknown;
  room_version?: unknown;
  invite_room_state?: unknown;
}

type Countersigned = { event: Record<string, unknown> };

/** PUT /v2/invite: the room version is named in the request. */
export function receiveInvite(env: Env, origin: string, roomId: string, eventId: string, body: unknown): Promise<Countersigned> {
  const req = (body ?? {}) as InviteBody;
  const version = typeof req.room_version === 'string' ? getRoomVersion(req.room_version) : undefined;
  if (!version) throw new MatrixError(400, ErrCode.INCOMPATIBLE_ROOM_VERSION, 'This server does not support the room version', { room_version: req.room_version });
  const strippedState = Array.isArray(req.invite_room_state) ? req.invite_room_state : [];
  return withRequestDb(env, (db) => acceptInvite(env, db, { origin, roomId, eventId, version, raw: req.event, strippedState }));
}

/**
 * PUT /v1/invite: the body is the event itself, its stripped state in `unsigned`, and the room
 * version is 1 or 2 (spec: the receiver must assume so). Both share the v1 event format and auth
 * rules; the create event of the stripped state tells which, when present.
 */
export async function receiveInviteV1(env: Env, origin: string, roomId: string, eventId: string, body: unknown): Promise<[200, Countersigned]> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MatrixError(400, ErrCode.BAD_JSON, 'The body must be the invite event');
  const unsigned = (body as { unsigned?: { invite_room_state?: unknown } }).unsigned;
  const strippedState = Array.isArray(unsigned?.invite_room_state) ? unsigned.invite_room_state : [];
  const create = strippedState.find((e) => (e as { type?: unknown })?.type === 'm.room.create') as { content?: { room_version?: unknown } } | undefined;
  const named = create?.content?.room_version;
  const version = getRoomVersion(named === '2' ? '2' : '1')!;
  const signed = await withRequestDb(env, (db) => acceptInvite(env, db, { origin, roomId, eventId, version, raw: body, strippedState }));
  return [200, signed];
}

interface InviteRequest {
  origin: string;
  roomId: string;
  eventId: string;
  version: RoomVersion;
  raw: unknown;
  strippedState: unknown[];
}

/** Checks an invite of one of our users, countersigns it and keeps it (for both API versions). */
async function acceptInvite(env: Env, db: PooledDb, req: InviteRequest): Promise<Countersigned> {
  const { origin, roomId, eventId, version } = req;
  // The spec asks for M_INVALID_PARAM when the event is not an acceptable invite from the origin.
  const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);
  const checked = await checkReceivedPdu(env, db, version, req.raw);
  if (!checked.ok) throw invalid(`Invalid invite event: ${checked.error}`);
  if (checked.hashMismatch) throw invalid('The invite event content does not match its hash');
  const { pdu } = checked.event;
  const ours = config(env).serverName;
  if (checked.event.eventId !== eventId || pdu.room_id !== roomId) throw invalid('The event does not match the request');
  if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'invite' || typeof pdu.state_key !== 'string') throw invalid('Not an invite event');
  if (serverNameOf(pdu.sender) !== origin) throw invalid('The inviter does not belong to the requesting server');
  if (serverNameOf(pdu.state_key) !== ours) throw invalid('The invitee is not a user of this server');
  // A room we know applies its ACL to invites too, before it learns whether the user exists (spec: "Server Access Control Lists").
  if (!(await serverAllowedInRoom(db, roomId, origin))) throw new MatrixError(403, ErrCode.FORBIDDEN, 'Server is banned by the room ACL');
  if (!(await userExists(db, pdu.state_key))) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown user');
  await refuseBlockedInvite(db, pdu.state_key);

  const key = await serverSigningKey(env);
  const signed = await hashAndSignEvent({ ...pdu } as unknown as Record<string, unknown>, version, ours, key);
  const countersigned = { ...pdu, signatures: { ...pdu.signatures, ...signed.signatures } } as Pdu;
  const strippedState = req.strippedState.filter((e) => typeof e === 'object' && e !== null);
  const pos = await storeRemoteInvite(db, { eventId, pdu: countersigned }, version.id, strippedState as Record<string, unknown>[]);
  if (pos !== undefined) await wakeUsers(env, [pdu.state_key], { e: pos });
  return { event: countersigned as unknown as Record<string, unknown> };
}

/** Asks the invitee's server to countersign an invite built in our room (spec: PUT /v2/invite). */
export async function countersignInvite(env: Env, event: RoomEvent, versionId: string, strippedState: Record<string, unknown>[]): Promise<RoomEvent> {
  const target = serverNameOf(event.pdu.state_key ?? '');
  if (!target) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid invitee');
  const path = (v: string) => `/_matrix/federation/${v}/invite/${encodeURIComponent(event.pdu.room_id!)}/${encodeURIComponent(event.eventId)}`;
  let signedEvent: Pdu | undefined;
  try {
    try {
      const res = await federationRequest<{ event?: Pdu }>(env, target, 'PUT', path('v2'), { event: event.pdu, room_version: versionId, invite_room_state: strippedState });
      signedEvent = res.event;
    } catch (e) {
      // A server without the v2 API can still be invited into rooms of versions 1 and 2 (v1 API).
      if (!(e instanceof RemoteError && (versionId === '1' || versionId === '2') && (e.status === 404 || e.body?.errcode === ErrCode.UNRECOGNIZED))) throw e;
      const res = await federationRequest<unknown>(env, target, 'PUT', path('v1'), { ...event.pdu, unsigned: { invite_room_state: strippedState } });
      // The v1 answer is [200, { event }].
      signedEvent = Array.isArray(res) ? (res[1] as { event?: Pdu } | undefined)?.event : undefined;
    }
  } catch (e) {
    if (e instanceof RemoteError) throw new MatrixError(e.status >= 500 ? 502 : 403, e.body?.errcode ?? ErrCode.FORBIDDEN, `The invitee's server refused the invite: ${e.body?.error ?? e.status}`);
    throw e;
  }
  const signatures = signedEvent?.signatures?.[target];
  if (!signatures) throw new MatrixError(502, ErrCode.UNKNOWN, "The invitee's server did not sign the invite");
  return { eventId: event.eventId, pdu: { ...event.pdu, signatures: { ...event.pdu.signatures, [target]: signatures } } };
}
