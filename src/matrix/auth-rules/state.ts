// The room state an event is authorised against: the events of the state keys the auth
// rules read (create, power levels, join rules, members, third-party invites).

import { PowerLevels } from '../power-levels';
import type { RoomVersion } from '../room-versions';
import { stateKey } from '../state-map';
import type { RoomEvent } from '../types';

/** State events by stateKey(type, state_key). A Map is one; state resolution passes views. */
export interface AuthState {
  get(key: string): RoomEvent | undefined;
}

/** Builds an AuthState from state events (later events replace earlier ones with the same key). */
export function authStateOf(events: Iterable<RoomEvent>): Map<string, RoomEvent> {
  const state = new Map<string, RoomEvent>();
  for (const e of events) {
    if (typeof e.pdu.state_key === 'string') state.set(stateKey(e.pdu.type, e.pdu.state_key), e);
  }
  return state;
}

export function stateEvent(state: AuthState, type: string, key: string): RoomEvent | undefined {
  return state.get(stateKey(type, key));
}

/** A user's current membership, if they have a member event. */
export function membershipIn(state: AuthState, userId: string): string | undefined {
  const m = stateEvent(state, 'm.room.member', userId)?.pdu.content.membership;
  return typeof m === 'string' ? m : undefined;
}

/** The join rule; a room without a join rules event behaves as `invite`, as other servers do. */
export function joinRuleIn(state: AuthState): string {
  const rule = stateEvent(state, 'm.room.join_rules', '')?.pdu.content.join_rule;
  return typeof rule === 'string' ? rule : 'invite';
}

export function powerLevelsIn(state: AuthState, version: RoomVersion): PowerLevels {
  return PowerLevels.fromEvents(
    version,
    stateEvent(state, 'm.room.create', '')?.pdu,
    stateEvent(state, 'm.room.power_levels', '')?.pdu,
  );
}
