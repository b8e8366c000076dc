// Auth events selection (spec: server-server "Auth events selection"): which state entries
// an event must cite in auth_events, used by the event builder and by auth rule 2 / 3.

import type { RoomVersion } from './room-versions';
import { stateKey } from './state-map';
import type { JsonObject, StateTuple } from './types';

/** The fields of an event the selection depends on. */
export interface AuthSelectionInput {
  type: string;
  sender: string;
  state_key?: string;
  content: JsonObject;
}

/**
 * The (type, state_key) pairs whose current state events belong in the event's auth_events.
 * The create event is selected before room version 12 and never from 12 (it is implied by
 * the room id).
 */
export function authTypesForEvent(version: RoomVersion, event: AuthSelectionInput): StateTuple[] {
  if (event.type === 'm.room.create') return [];
  const types: StateTuple[] = [];
  if (version.roomIdFormat !== 'create-event') types.push(['m.room.create', '']);
  types.push(['m.room.power_levels', ''], ['m.room.member', event.sender]);
  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    const content = event.content ?? {};
    const membership = content.membership;
    types.push(['m.room.member', event.state_key]);
    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      types.push(['m.room.join_rules', '']);
    }
    if (membership === 'invite') {
      const tpi = content.third_party_invite as JsonObject | undefined;
      const token = (tpi?.signed as JsonObject | undefined)?.token;
      if (typeof token === 'string') types.push(['m.room.third_party_invite', token]);
    }
    if (
      membership === 'join' &&
      version.restrictedJoins &&
      typeof content.join_authorised_via_users_server === 'string'
    ) {
      types.push(['m.room.member', content.join_authorised_via_users_server]);
    }
  }
  // Distinct keys only (the sender may be the target).
  const seen = new Set<string>();
  return types.filter(([t, s]) => {
    const k = stateKey(t, s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The auth_events of a new event: the event ids the current state holds for each selected
 * key. `lookup` returns the event id of a state entry, if present.
 */
export function selectAuthEvents(
  version: RoomVersion,
  event: AuthSelectionInput,
  lookup: (type: string, stateKey: string) => string | undefined,
): string[] {
  const out: string[] = [];
  for (const [t, s] of authTypesForEvent(version, event)) {
    const id = lookup(t, s);
    if (id !== undefined && !out.includes(id)) out.push(id);
  }
  return out;
}

/** The name the event builder uses for the selection: the auth_events of a new event. */
export const authEventsForEvent = selectAuthEvents;
