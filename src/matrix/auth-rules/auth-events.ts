// Auth rule 2 (rule 3 in v12) and v12's rule 2: checks of the event's own auth_events,
// which do not depend on the room state (spec: "Considering the event's auth_events").

import { authTypesForEvent } from '../auth-events';
import { createEventIdFromRoomId } from '../hashes';
import { authEventIds } from '../pdu';
import type { RoomVersion } from '../room-versions';
import { stateKey } from '../state-map';
import type { RoomEvent } from '../types';
import { ALLOWED, type AuthResult, rejected } from './result';

export interface AuthEventsInput {
  /** The events the event lists in auth_events, whichever were found. */
  authEvents: readonly RoomEvent[];
  /** Room version 12: the room's create event (implied by room_id, not listed). */
  createEvent?: RoomEvent;
  /** Whether an event was rejected on receipt. */
  isRejected?: (eventId: string) => boolean;
}

export function checkAuthEvents(version: RoomVersion, event: RoomEvent, input: AuthEventsInput): AuthResult {
  const { pdu } = event;
  const isRejected = input.isRejected ?? (() => false);

  if (version.roomIdFormat === 'create-event') {
    const create = input.createEvent;
    const expectedId = typeof pdu.room_id === 'string' ? createEventIdFromRoomId(pdu.room_id) : undefined;
    if (!create || create.eventId !== expectedId || create.pdu.type !== 'm.room.create' || isRejected(create.eventId)) {
      return rejected('room_id.create_event', 'room_id is not the id of an accepted create event');
    }
  }

  const byId = new Map(input.authEvents.map((e) => [e.eventId, e]));
  const listed = authEventIds(pdu);
  const expected = new Set(authTypesForEvent(version, pdu).map(([t, s]) => stateKey(t, s)));
  const seen = new Set<string>();
  let hasCreate = false;
  for (const id of listed) {
    const auth = byId.get(id);
    if (!auth) return rejected('auth_events.missing', `auth event ${id} is not available`);
    if (typeof auth.pdu.state_key !== 'string') {
      return rejected('auth_events.unexpected', `auth event ${id} is not a state event`);
    }
    const key = stateKey(auth.pdu.type, auth.pdu.state_key);
    if (seen.has(key)) return rejected('auth_events.duplicate', `duplicate auth events for (${auth.pdu.type}, ${auth.pdu.state_key})`);
    seen.add(key);
    if (!expected.has(key)) {
      return rejected('auth_events.unexpected', `auth event (${auth.pdu.type}, ${auth.pdu.state_key}) is not one the selection allows`);
    }
    if (isRejected(id)) return rejected('auth_events.rejected', `auth event ${id} was rejected`);
    if (auth.pdu.type === 'm.room.create') hasCreate = true;
    if (auth.pdu.room_id !== pdu.room_id) return rejected('auth_events.room_id', `auth event ${id} is in another room`);
  }
  if (version.roomIdFormat !== 'create-event' && !hasCreate) {
    return rejected('auth_events.no_create', 'auth_events has no m.room.create event');
  }
  return ALLOWED;
}
