// Room state is keyed by (event type, state key). Maps need one string key per pair:
// `<type length>:<type><state_key>` is unambiguous whatever characters the two parts
// contain (event types are unconstrained strings, so a separator alone could collide).

import type { StateTuple } from './types';

/** Event id by state key (see stateKey()). */
export type StateMap = Map<string, string>;
export type ReadonlyStateMap = ReadonlyMap<string, string>;

export function stateKey(type: string, stateKey: string): string {
  return `${type.length}:${type}${stateKey}`;
}

export function splitStateKey(key: string): StateTuple {
  const colon = key.indexOf(':');
  const n = Number(key.slice(0, colon));
  return [key.slice(colon + 1, colon + 1 + n), key.slice(colon + 1 + n)];
}

/** Builds a StateMap from (type, state_key, event id) triples. */
export function stateMapOf(entries: Iterable<readonly [type: string, stateKey: string, eventId: string]>): StateMap {
  const map: StateMap = new Map();
  for (const [t, s, id] of entries) map.set(stateKey(t, s), id);
  return map;
}
