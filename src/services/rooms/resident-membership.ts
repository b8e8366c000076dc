// The resident server's side of joins, leaves and knocks from other servers (spec: server-server
// "Joining Rooms", "Leaving Rooms", "Knocking upon a room"): event templates from the current
// state, the checks on what comes back, and its entry into the room.
import { config } from '../../config';
import { selectAuthEvents } from '../../matrix/auth-events';
import { authorizeByState } from '../../matrix/auth-rules';
import { references } from '../../matrix/event-builder';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { serverNameOf } from '../../matrix/ids';
import { PowerLevels } from '../../matrix/power-levels';
import { stateKey } from '../../matrix/state-map';
import type { JsonObject, Pdu, RoomEvent } from '../../matrix/types';
import { hashAndSignEvent } from '../../matrix/event-signing';
import { checkReceivedPdu } from '../federation/event-checks';
import { sendToServers } from '../federation/outbound';
import { serverSigningKey } from '../federation/server-key';
import { receiveEvent, remoteServers } from './federated';
import { assertAllowedByAcl, stateAt } from './federation-serve';
import type { RoomReceiver } from './receive-pdus';
import { strippedStateOf } from './stripped-state';
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

/**
 * send_join / send_leave / send_knock: the signed membership event enters the room through the
 * receive pipeline; for a join the answer carries the state before it and the auth chain.
 */
export async function acceptSentMembership(room: RoomReceiver, origin: string, eventId: string, raw: unknown, membership: RemoteMembership) {
  const { env, db, model, isLocal } = room.federated;
  const own = config(env).serverName;
  assertAllowedByAcl(model, origin);
  const checked = await checkReceivedPdu(env, db, model.version, raw);
  if (!checked.ok) throw new MatrixError(400, ErrCode.BAD_JSON, `Invalid event: ${checked.error}`);
  let event = checked.event;
  checkSentMembership(model, origin, eventId, event, membership);
  // A restricted join names one of our users: we add our signature (spec: send_join `event`).
  let countersigned = false;
  if (membership === 'join' && typeof event.pdu.content.join_authorised_via_users_server === 'string' && isLocal(event.pdu.content.join_authorised_via_users_server)) {
    const key = await serverSigningKey(env);
    const signed = await hashAndSignEvent({ ...event.pdu } as unknown as Record<string, unknown>, model.version, own, key);
    event = { eventId: event.eventId, pdu: { ...event.pdu, signatures: { ...event.pdu.signatures, ...signed.signatures } } };
    countersigned = true;
  }
  const outcome = await room.exclusive(() => receiveEvent(room.federated, origin, event));
  if (!outcome.accepted) throw new MatrixError(403, ErrCode.FORBIDDEN, `The ${membership} was not accepted: ${outcome.error ?? 'refused'}`);
  if (outcome.streamPos !== undefined) room.announce([event], [outcome.streamPos]);
  // Other servers in the room hear of it from us, the resident server.
  void sendToServers(env, remoteServers(model, own).filter((s) => s !== origin), [{ kind: 'pdu', body: event.pdu as unknown as Record<string, unknown> }]);
  // The knocker sees the room's stripped state (spec: send_knock `knock_room_state`).
  if (membership === 'knock') return { knock_room_state: strippedStateOf(model, event.pdu.sender) };
  if (membership !== 'join') return {};
  const state = await stateAt(db, model, event.eventId);
  return {
    origin: own,
    state: state.pdus,
    auth_chain: state.auth_chain,
    ...(countersigned ? { event: event.pdu } : {}),
    members_omitted: false,
    servers_in_room: [own, ...remoteServers(model, own)],
  };
}
