// The authorisation rules of room versions 1–12 (spec: rooms/vN "Authorisation rules";
// server-server "Checks performed on receipt of a PDU").
//
// Two entry points, as the receipt checks need them:
// - authorizeByAuthEvents: rule 1, or rule 2 (the event's own auth_events) and then the
//   state-dependent rules against those auth events (receipt check 4);
// - authorizeByState: rule 1, or the state-dependent rules against a given state (receipt
//   checks 5 and 6, and local events before they are sent).
// State resolution's iterative auth checks call checkStateDependentRules directly.

import { createEventIdFromRoomId } from '../hashes';
import { serverNameOf } from '../ids';
import { redactsTarget } from '../redaction';
import type { RoomVersion } from '../room-versions';
import { stateKey } from '../state-map';
import type { RoomEvent } from '../types';
import { type AuthEventsInput, checkAuthEvents } from './auth-events';
import { checkCreateEvent } from './create';
import { checkMemberEvent, type MembershipAuthOptions } from './membership';
import { checkPowerLevelsEvent } from './power-levels';
import { ALLOWED, type AuthResult, rejected } from './result';
import { type AuthState, authStateOf, membershipIn, powerLevelsIn, stateEvent } from './state';

export type AuthOptions = MembershipAuthOptions;

/** Rules 3 onwards (v12: 4 onwards): everything that depends on the room state. */
export function checkStateDependentRules(
  version: RoomVersion,
  event: RoomEvent,
  state: AuthState,
  options: AuthOptions = {},
): AuthResult {
  const { pdu } = event;
  const create = stateEvent(state, 'm.room.create', '');
  if (!create) return rejected('state.no_create', 'the state has no m.room.create event');

  if (create.pdu.content['m.federate'] === false && serverNameOf(pdu.sender) !== serverNameOf(create.pdu.sender)) {
    return rejected('federate', 'the room does not federate with the sender server');
  }

  if (version.specialCaseAliasesAuth && pdu.type === 'm.room.aliases') {
    if (typeof pdu.state_key !== 'string') return rejected('aliases.state_key', 'aliases event has no state_key');
    if (pdu.state_key !== serverNameOf(pdu.sender)) return rejected('aliases.domain', "state_key is not the sender's server");
    return ALLOWED;
  }

  if (pdu.type === 'm.room.member') return checkMemberEvent(version, event, state, options);

  if (membershipIn(state, pdu.sender) !== 'join') return rejected('sender_not_joined', 'sender is not joined to the room');

  const pl = powerLevelsIn(state, version);
  const senderLevel = pl.userLevel(pdu.sender);

  if (pdu.type === 'm.room.third_party_invite') {
    return senderLevel >= pl.level('invite') ? ALLOWED : rejected('third_party_invite.power', 'sender is below the invite level');
  }

  const isState = typeof pdu.state_key === 'string';
  if (pl.eventLevel(pdu.type, isState) > senderLevel) {
    return rejected('event_power', `sender is below the level required for ${pdu.type}`);
  }

  if (isState && pdu.state_key!.startsWith('@') && pdu.state_key !== pdu.sender) {
    return rejected('state_key.user', "a state_key starting with @ must be the sender's user id");
  }

  if (pdu.type === 'm.room.power_levels') return checkPowerLevelsEvent(version, event, state);

  if (version.redactionAuthRule && pdu.type === 'm.room.redaction') {
    if (senderLevel >= pl.level('redact')) return ALLOWED;
    const target = redactsTarget(pdu, version);
    if (target !== undefined && serverNameOf(target) === serverNameOf(event.eventId)) return ALLOWED;
    return rejected('redaction.power', 'sender is below the redact level and the event is from another server');
  }

  return ALLOWED;
}

/** Receipt check 4: the event against its own auth_events. */
export function authorizeByAuthEvents(
  version: RoomVersion,
  event: RoomEvent,
  input: AuthEventsInput,
  options: AuthOptions = {},
): AuthResult {
  if (event.pdu.type === 'm.room.create') return checkCreateEvent(version, event.pdu);
  const listed = checkAuthEvents(version, event, input);
  if (!listed.allowed) return listed;
  const state = authStateOf(input.authEvents);
  if (input.createEvent) state.set(stateKey('m.room.create', ''), input.createEvent);
  return checkStateDependentRules(version, event, state, options);
}

/**
 * The event against a room state (receipt checks 5 and 6, and local events before they are
 * sent). In v12 the state must hold the create event, whose id must match the room id.
 */
export function authorizeByState(
  version: RoomVersion,
  event: RoomEvent,
  state: AuthState,
  options: AuthOptions = {},
): AuthResult {
  if (event.pdu.type === 'm.room.create') return checkCreateEvent(version, event.pdu);
  if (version.roomIdFormat === 'create-event') {
    const create = stateEvent(state, 'm.room.create', '');
    if (!create || typeof event.pdu.room_id !== 'string' || create.eventId !== createEventIdFromRoomId(event.pdu.room_id)) {
      return rejected('room_id.create_event', 'room_id is not the id of the room\'s create event');
    }
  }
  return checkStateDependentRules(version, event, state, options);
}

export { checkCreateEvent } from './create';
export { checkAuthEvents, type AuthEventsInput } from './auth-events';
export { checkMemberEvent, type MembershipAuthOptions } from './membership';
export { checkPowerLevelsEvent } from './power-levels';
export { ALLOWED, authResultToError, rejected, type AuthResult, type AuthRule } from './result';
export { authStateOf, joinRuleIn, membershipIn, powerLevelsIn, stateEvent, type AuthState } from './state';
export { thirdPartyInvitePublicKeys, verifyThirdPartySigned } from './third-party-invite';
