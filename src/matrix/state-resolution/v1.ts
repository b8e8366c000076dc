// State resolution v1 (room version 1; spec: rooms/v1 "State resolution"). Known to reset
// state in some cases, which is why v2 replaced it; kept exact for v1 rooms.

import { authTypesForEvent } from '../auth-events';
import { checkStateDependentRules } from '../auth-rules/index';
import { sha1Hex } from '../sha1';
import { splitStateKey, stateKey, type StateMap } from '../state-map';
import type { RoomEvent } from '../types';
import { EventStore, splitConflicted, type StateResolutionInput } from './common';

/** Auth check of `event` against the resolved state so far (events looked up in the store). */
function allowedIn(store: EventStore, event: RoomEvent, state: StateMap): boolean {
  if (event.pdu.type === 'm.room.create') return true;
  const authState = new Map<string, RoomEvent>();
  for (const [t, s] of authTypesForEvent(store.version, event.pdu)) {
    const id = state.get(stateKey(t, s));
    if (id !== undefined) authState.set(stateKey(t, s), store.get(id));
  }
  return checkStateDependentRules(store.version, event, authState).allowed;
}

const sha1Cache = new Map<string, string>();
function sha1Of(id: string): string {
  let h = sha1Cache.get(id);
  if (h === undefined) {
    h = sha1Hex(id);
    if (sha1Cache.size > 10_000) sha1Cache.clear();
    sha1Cache.set(id, h);
  }
  return h;
}

/** Ascending depth, then descending sha1(event_id). */
function authOrder(a: RoomEvent, b: RoomEvent): number {
  if (a.pdu.depth !== b.pdu.depth) return a.pdu.depth - b.pdu.depth;
  const ha = sha1Of(a.eventId);
  const hb = sha1Of(b.eventId);
  return ha < hb ? 1 : ha > hb ? -1 : 0;
}

/**
 * Resolves the conflicted events of one auth-relevant key: the earliest (by authOrder) is
 * taken, then each later one replaces it while it passes auth against the state so far.
 */
function resolveAuthKey(store: EventStore, key: string, ids: Iterable<string>, state: StateMap): void {
  const events = [...ids].map((id) => store.get(id)).sort(authOrder);
  state.set(key, events[0].eventId);
  for (const e of events.slice(1)) {
    if (!allowedIn(store, e, state)) break;
    state.set(key, e.eventId);
  }
}

export function resolveV1(store: EventStore, input: StateResolutionInput): StateMap {
  const { stateSets } = input;
  if (stateSets.length === 0) return new Map();
  const { unconflicted, conflicted } = splitConflicted(stateSets, false);
  if (conflicted.size === 0) return unconflicted;
  const all = [...conflicted.values()].flatMap((s) => [...s]);
  store.requireAll(all);

  const state: StateMap = new Map(unconflicted);
  const byType = (type: string) => [...conflicted.entries()].filter(([k]) => splitStateKey(k)[0] === type);
  // Power levels, then join rules, then memberships: each pass sees the previous passes'
  // result. Keys within one pass are resolved independently against the state at the start
  // of the pass (as Synapse does), so their order does not matter.
  for (const type of ['m.room.power_levels', 'm.room.join_rules', 'm.room.member']) {
    const results: [string, string][] = [];
    for (const [key, ids] of byType(type)) {
      const working = new Map(state);
      resolveAuthKey(store, key, ids, working);
      results.push([key, working.get(key)!]);
    }
    for (const [key, id] of results) state.set(key, id);
  }
  // Every other key: the highest depth, lowest sha1(event_id) event that passes auth;
  // if none does, the last candidate in that order (as Synapse does; the spec is silent).
  for (const [key, ids] of conflicted) {
    const type = splitStateKey(key)[0];
    if (type === 'm.room.power_levels' || type === 'm.room.join_rules' || type === 'm.room.member') continue;
    const events = [...ids].map((id) => store.get(id)).sort((a, b) => -authOrder(a, b));
    const chosen = events.find((e) => allowedIn(store, e, state)) ?? events[events.length - 1];
    state.set(key, chosen.eventId);
  }
  return state;
}
