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
import { getRoomVersion } from '../../matrix/room-versions';
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

export function receiveInvite(env: Env, origin: string, roomId: string, eventId: string, body: unknown): Promise<{ event: Record<string, unknown> }> {
  return withRequestDb(env, (db) => acceptInvite(env, db, origin, roomId, eventId, body));
}

async function acceptInvite(env: Env, db: PooledDb, origin: string, roomId: string, eventId: string, body: unknown): Promise<{ event: Record<string, unknown> }> {
  const req = (body ?? {}) as InviteBody;
  const version = typeof req.room_version === 'string' ? getRoomVersion(req.room_version) : undefined;
  if (!version) throw new MatrixError(400, ErrCode.INCOMPATIBLE_ROOM_VERSION, 'This server does not support the room version', { room_version: req.room_version });
  const checked = await checkReceivedPdu(env, db, version, req.event);
  if (!checked.ok) throw new MatrixError(400, ErrCode.BAD_JSON, `Invalid invite event: ${checked.error}`);
  if (checked.hashMismatch) throw new MatrixError(400, ErrCode.BAD_JSON, 'The invite event content does not match its hash');
  const { pdu } = checked.event;
  const ours = config(env).serverName;
  if (checked.event.eventId !== eventId || pdu.room_id !== roomId) throw new MatrixError(400, ErrCode.BAD_JSON, 'The event does not match the request');
  if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'invite' || typeof pdu.state_key !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, 'Not an invite event');
  if (serverNameOf(pdu.sender) !== origin) throw new MatrixError(403, ErrCode.FORBIDDEN, 'The inviter does not belong to the requesting server');
  // A room we know applies its ACL to invites too, before it learns whether the user exists (spec: "Server Access Control Lists").
  if (!(await serverAllowedInRoom(db, roomId, origin))) throw new MatrixError(403, ErrCode.FORBIDDEN, 'Server is banned by the room ACL');
  if (serverNameOf(pdu.state_key) !== ours || !(await userExists(db, pdu.state_key))) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown user');
  await refuseBlockedInvite(db, pdu.state_key);

  const key = await serverSigningKey(env);
  const signed = await hashAndSignEvent({ ...pdu } as unknown as Record<string, unknown>, version, ours, key);
  const countersigned = { ...pdu, signatures: { ...pdu.signatures, ...signed.signatures } } as Pdu;
  const strippedState = Array.isArray(req.invite_room_state) ? req.invite_room_state.filter((e) => typeof e === 'object' && e !== null) : [];
  const pos = await storeRemoteInvite(db, { eventId, pdu: countersigned }, version.id, strippedState as Record<string, unknown>[]);
  if (pos !== undefined) await wakeUsers(env, [pdu.state_key], { e: pos });
  return { event: countersigned as unknown as Record<string, unknown> };
}

/** Asks the invitee's server to countersign an invite built in our room (spec: PUT /v2/invite). */
export async function countersignInvite(env: Env, event: RoomEvent, versionId: string, strippedState: Record<string, unknown>[]): Promise<RoomEvent> {
  const target = serverNameOf(event.pdu.state_key ?? '');
  if (!target) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid invitee');
  let res: { event?: Pdu };
  try {
    res = await federationRequest<{ event?: Pdu }>(env, target, 'PUT', `/_matrix/federation/v2/invite/${encodeURIComponent(event.pdu.room_id!)}/${encodeURIComponent(event.eventId)}`, {
      event: event.pdu,
      room_version: versionId,
      invite_room_state: strippedState,
    });
  } catch (e) {
    if (e instanceof RemoteError) throw new MatrixError(e.status >= 500 ? 502 : 403, e.body?.errcode ?? ErrCode.FORBIDDEN, `The invitee's server refused the invite: ${e.body?.error ?? e.status}`);
    throw e;
  }
  const signatures = res.event?.signatures?.[target];
  if (!signatures) throw new MatrixError(502, ErrCode.UNKNOWN, "The invitee's server did not sign the invite");
  return { eventId: event.eventId, pdu: { ...event.pdu, signatures: { ...event.pdu.signatures, [target]: signatures } } };
}
