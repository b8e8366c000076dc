// The resident server's side of joins, leaves and knocks from other servers (spec: server-server
// "Joining Rooms", "Leaving Rooms", "Knocking upon a room"): event templates from the current
// state, and the checks on what comes back.
import { selectAuthEvents } from '../../matrix/auth-events';
import { authorizeByState } from '../../matrix/auth-rules';
import { references } from '../../matrix/event-builder';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { serverNameOf } from '../../matrix/ids';
import { PowerLevels } from '../../matrix/power-levels';
import { stateKey } from '../../matrix/state-map';
import type { JsonObject, Pdu, RoomEvent } from '../../matrix/types';
import { assertAllowedByAcl } from './federation-serve';
import type { RoomModel } from './model';

export type RemoteMembership = 'join' | 'leave' | 'knock';

/** The event template of make_join / make_leave / make_knock for a user of `origin`. */
export async function membershipTemplate(
  model: RoomModel,
  origin: string,
  userId: string,
  membership: RemoteMembership,
  supportedVersions: string[] | undefined,
  authorisingUser?: string,
): Promise<{ event: JsonObject; room_version: string }> {
  if (serverNameOf(userId) !== origin) throw new MatrixError(403, ErrCode.FORBIDDEN, 'The user does not belong to the requesting server');
  assertAllowedByAcl(model, origin);
  // make_join and make_knock must name the versions the joining server supports (v1 is implied).
  if (membership !== 'leave' && !(supportedVersions ?? ['1']).includes(model.version.id)) {
    throw new MatrixError(400, ErrCode.INCOMPATIBLE_ROOM_VERSION, `Your server does not support room version ${model.version.id}`, { room_version: model.version.id });
  }
  const content: JsonObject = { membership };
  if (authorisingUser) content.join_authorised_via_users_server = authorisingUser;
  const prevEvents = [...model.extremities].sort((a, b) => b.pdu.depth - a.pdu.depth).slice(0, 10);
  const authIds = selectAuthEvents(model.version, { type: 'm.room.member', sender: userId, state_key: userId, content }, (t, s) => model.get(stateKey(t, s))?.eventId);
  const byId = new Map([...model.state.values()].map((e) => [e.eventId, e]));
  const event: JsonObject = {
    type: 'm.room.member',
    room_id: model.roomId,
    sender: userId,
    state_key: userId,
    content,
    origin: serverNameOf(userId),
    origin_server_ts: Date.now(),
    depth: Math.min(model.depth + 1, model.version.maxDepth),
    prev_events: await references(prevEvents, model.version),
    auth_events: await references(authIds.map((id) => byId.get(id)!), model.version),
  };
  // Refuse now what the auth rules would refuse later (as Synapse does).
  const probe = authorizeByState(model.version, { eventId: '$template', pdu: { ...event, hashes: { sha256: '' }, signatures: {} } as unknown as Pdu }, model, {
    isSignedBy: () => true,
  });
  if (!probe.allowed) throw new MatrixError(403, ErrCode.FORBIDDEN, `You are not allowed to ${membership} this room: ${probe.reason}`);
  return { event, room_version: model.version.id };
}

/** A local member who may invite, to authorise a restricted join (spec: "Restricted rooms"). */
export function authorisingUser(model: RoomModel, isLocal: (u: string) => boolean): string | undefined {
  const pl = PowerLevels.fromEvents(model.version, model.stateEvent('m.room.create')?.pdu, model.stateEvent('m.room.power_levels')?.pdu);
  return model.members('join').filter(isLocal).find((u) => pl.canInvite(u));
}

/** What send_join / send_leave / send_knock accept: the membership event of a user of `origin`. */
export function checkSentMembership(model: RoomModel, origin: string, eventId: string, event: RoomEvent, membership: RemoteMembership): void {
  const { pdu } = event;
  if (event.eventId !== eventId) throw new MatrixError(400, ErrCode.BAD_JSON, 'The event id does not match the event');
  if (pdu.room_id !== model.roomId) throw new MatrixError(400, ErrCode.BAD_JSON, 'The event is for another room');
  if (pdu.type !== 'm.room.member' || pdu.state_key !== pdu.sender || pdu.content.membership !== membership) {
    throw new MatrixError(400, ErrCode.BAD_JSON, `Expected a ${membership} event of the sender`);
  }
  if (serverNameOf(pdu.sender) !== origin) throw new MatrixError(403, ErrCode.FORBIDDEN, 'The user does not belong to the requesting server');
}
