// Pieces shared by the state resolution algorithms: the input shape, event lookup, auth
// chains and the split into unconflicted and conflicted state.
//
// The input is complete and callback-free: the caller (the room's Durable Object) supplies
// every event the algorithm may read, auth chains included. A missing event is reported as
// a MissingEventsError naming all the ids to fetch, so the caller can fetch and retry.

import { createEventIdFromRoomId } from '../hashes';
import { authEventIds } from '../pdu';
import type { RoomVersion } from '../room-versions';
import { type ReadonlyStateMap, stateKey, type StateMap } from '../state-map';
import type { Pdu, RoomEvent } from '../types';

export interface StateResolutionInput {
  /** The states to resolve (state after each prev event / fork). */
  stateSets: readonly ReadonlyStateMap[];
  /** Every event the algorithm may need: the states' events and their full auth chains. */
  events: ReadonlyMap<string, Pdu>;
  /** Events rejected on receipt; never used as auth events in the iterative auth checks. */
  rejected?: ReadonlySet<string>;
}

export class MissingEventsError extends Error {
  override name = 'MissingEventsError';
  constructor(readonly missing: readonly string[]) {
    super(`state resolution needs ${missing.length} missing event(s): ${missing.slice(0, 5).join(', ')}`);
  }
}

/** Event lookup over the input map that wraps PDUs as RoomEvents once. */
export class EventStore {
  private readonly wrapped = new Map<string, RoomEvent>();
  private readonly plAuth = new Map<string, string | null>();
  private readonly edges = new Map<string, readonly string[]>();

  constructor(
    readonly version: RoomVersion,
    private readonly pdus: ReadonlyMap<string, Pdu>,
    readonly rejected: ReadonlySet<string> = new Set(),
  ) {}

  find(id: string): RoomEvent | undefined {
    let e = this.wrapped.get(id);
    if (e === undefined) {
      const pdu = this.pdus.get(id);
      if (pdu === undefined) return undefined;
      e = { eventId: id, pdu };
      this.wrapped.set(id, e);
    }
    return e;
  }

  get(id: string): RoomEvent {
    const e = this.find(id);
    if (!e) throw new MissingEventsError([id]);
    return e;
  }

  /**
   * The auth edges of an event: its auth_events, plus in v12 the create event its room id
   * names (implied, never listed), so auth chains reach the create event in every version.
   */
  authEdges(e: RoomEvent): readonly string[] {
    let cached = this.edges.get(e.eventId);
    if (cached === undefined) this.edges.set(e.eventId, (cached = this.computeAuthEdges(e)));
    return cached;
  }

  private computeAuthEdges(e: RoomEvent): string[] {
    const ids = authEventIds(e.pdu);
    if (this.version.roomIdFormat === 'create-event' && e.pdu.type !== 'm.room.create' && typeof e.pdu.room_id === 'string') {
      const create = createEventIdFromRoomId(e.pdu.room_id);
      if (!ids.includes(create)) ids.push(create);
    }
    return ids;
  }

  /** The power levels event among an event's auth events (the next mainline step). */
  powerLevelsAuthEvent(e: RoomEvent): string | undefined {
    let cached = this.plAuth.get(e.eventId);
    if (cached === undefined) {
      cached = null;
      for (const id of authEventIds(e.pdu)) {
        const a = this.get(id);
        if (a.pdu.type === 'm.room.power_levels' && a.pdu.state_key === '') {
          cached = id;
          break;
        }
      }
      this.plAuth.set(e.eventId, cached);
    }
    return cached ?? undefined;
  }

  /** The create event an event's auth relies on: listed before v12, named by room_id in v12. */
  createEventFor(e: RoomEvent): RoomEvent | undefined {
    if (this.version.roomIdFormat === 'create-event') {
      return typeof e.pdu.room_id === 'string' ? this.find(createEventIdFromRoomId(e.pdu.room_id)) : undefined;
    }
    for (const id of authEventIds(e.pdu)) {
      const a = this.find(id);
      if (a && a.pdu.type === 'm.room.create' && a.pdu.state_key === '') return a;
    }
    return undefined;
  }

  /** Throws one MissingEventsError naming every id in `ids` that is not supplied. */
  requireAll(ids: Iterable<string>): void {
    const missing = [...ids].filter((id) => !this.pdus.has(id));
    if (missing.length) throw new MissingEventsError(missing);
  }
}

/**
 * Every event reachable from `start` through auth edges, `start` included. Collects all
 * missing events before failing, so one round trip can fetch them.
 */
export function authClosure(store: EventStore, start: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const missing = new Set<string>();
  const stack = [...start];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    const e = store.find(id);
    if (!e) {
      missing.add(id);
      continue;
    }
    seen.add(id);
    for (const a of store.authEdges(e)) if (!seen.has(a)) stack.push(a);
  }
  if (missing.size) throw new MissingEventsError([...missing]);
  return seen;
}

/**
 * The unconflicted state map and the conflicted state set. In v2 a key missing from some
 * state is conflicted; in v1 only differing event ids for a key are (spec: rooms/v1).
 */
export function splitConflicted(
  stateSets: readonly ReadonlyStateMap[],
  missingIsConflict: boolean,
): { unconflicted: StateMap; conflicted: Map<string, Set<string>> } {
  const unconflicted: StateMap = new Map();
  const conflicted = new Map<string, Set<string>>();
  const keys = new Set<string>();
  for (const s of stateSets) for (const k of s.keys()) keys.add(k);
  for (const k of keys) {
    const ids = new Set<string>();
    let presentIn = 0;
    for (const s of stateSets) {
      const id = s.get(k);
      if (id !== undefined) {
        ids.add(id);
        presentIn++;
      }
    }
    if (ids.size === 1 && (!missingIsConflict || presentIn === stateSets.length)) {
      unconflicted.set(k, ids.values().next().value as string);
    } else {
      conflicted.set(k, ids);
    }
  }
  return { unconflicted, conflicted };
}

/** The state key of a state event. */
export function keyOf(e: RoomEvent): string {
  return stateKey(e.pdu.type, e.pdu.state_key ?? '');
}
