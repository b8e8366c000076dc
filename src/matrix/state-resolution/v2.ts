// State resolution v2 (rooms v2–v11) and its v12 revision "v2.1" (MSC4297: the conflicted
// state subgraph joins the full conflicted set, and the first iterative auth checks start
// from an empty state). Spec: rooms/v2 and rooms/v12 "State resolution".

import { authTypesForEvent } from '../auth-events';
import { checkStateDependentRules } from '../auth-rules/index';
import { compareCodePoints } from '../canonical-json';
import { PowerLevels } from '../power-levels';
import { stateKey, type StateMap } from '../state-map';
import type { RoomEvent } from '../types';
import { authClosure, EventStore, keyOf, splitConflicted, type StateResolutionInput } from './common';
import { MinHeap } from './heap';

/**
 * A power event: power levels, join rules, or a member leave/ban by someone else (spec).
 * The create event counts too, as in Synapse and Ruma; it is only ever conflicted in a
 * broken room, where ordering it first is the safe choice.
 */
export function isPowerEvent(e: RoomEvent): boolean {
  const { pdu } = e;
  if (pdu.state_key === undefined) return false;
  switch (pdu.type) {
    case 'm.room.power_levels':
    case 'm.room.join_rules':
    case 'm.room.create':
      return pdu.state_key === '';
    case 'm.room.member': {
      const m = pdu.content.membership;
      return (m === 'leave' || m === 'ban') && pdu.sender !== pdu.state_key;
    }
    default:
      return false;
  }
}

/** ∪Cᵢ − ∩Cᵢ, where Cᵢ is the auth chain of state i including the state's own events (as Synapse computes it). */
export function authDifference(store: EventStore, stateSets: StateResolutionInput['stateSets']): Set<string> {
  const chains = stateSets.map((s) => authClosure(store, s.values()));
  const counts = new Map<string, number>();
  for (const chain of chains) for (const id of chain) counts.set(id, (counts.get(id) ?? 0) + 1);
  const diff = new Set<string>();
  for (const [id, n] of counts) if (n < chains.length) diff.add(id);
  return diff;
}

/**
 * v12: the conflicted state subgraph, every event on an auth_events path from one conflicted
 * event to another (endpoints included). An event is on such a path when it is reachable from
 * a conflicted event and can itself reach a conflicted event.
 */
export function conflictedStateSubgraph(store: EventStore, conflicted: ReadonlySet<string>): Set<string> {
  // Ancestors of the conflicted events, reached through at least one edge.
  const ancestors = new Set<string>();
  const stack: string[] = [];
  for (const id of conflicted) stack.push(...store.authEdges(store.get(id)));
  while (stack.length) {
    const id = stack.pop()!;
    if (ancestors.has(id)) continue;
    ancestors.add(id);
    stack.push(...store.authEdges(store.get(id)));
  }
  // Which ancestors reach a conflicted event: iterative post-order DFS with memo.
  const reaches = new Map<string, boolean>();
  for (const root of ancestors) {
    if (reaches.has(root)) continue;
    const work: [string, boolean][] = [[root, false]];
    while (work.length) {
      const [id, expanded] = work.pop()!;
      if (reaches.has(id)) continue;
      const edges = store.authEdges(store.get(id));
      if (!expanded) {
        work.push([id, true]);
        for (const a of edges) if (!reaches.has(a) && !conflicted.has(a)) work.push([a, false]);
      } else {
        reaches.set(id, edges.some((a) => conflicted.has(a) || reaches.get(a) === true));
      }
    }
  }
  const subgraph = new Set(conflicted);
  for (const id of ancestors) if (reaches.get(id)) subgraph.add(id);
  return subgraph;
}

/** The power level of an event's sender according to the event's own auth events. */
function senderPowerLevel(store: EventStore, e: RoomEvent): number {
  const plId = store.powerLevelsAuthEvent(e);
  const pl = plId === undefined ? undefined : store.get(plId).pdu;
  return PowerLevels.fromEvents(store.version, store.createEventFor(e)?.pdu, pl).userLevel(e.pdu.sender);
}

/**
 * Reverse topological power ordering of `ids` (spec): Kahn's algorithm over the auth DAG,
 * each step taking the ready event whose sender has the highest power level, then the
 * smallest origin_server_ts, then the smallest event id.
 */
export function reverseTopologicalPowerSort(store: EventStore, ids: ReadonlySet<string>): string[] {
  const outDegree = new Map<string, number>();
  const referencedBy = new Map<string, string[]>();
  for (const id of ids) {
    const edges = store.authEdges(store.get(id)).filter((a) => ids.has(a));
    outDegree.set(id, new Set(edges).size);
    for (const a of new Set(edges)) {
      let list = referencedBy.get(a);
      if (!list) referencedBy.set(a, (list = []));
      list.push(id);
    }
  }
  type Key = { id: string; power: number; ts: number };
  const tieKey = (id: string): Key => {
    const e = store.get(id);
    return { id, power: senderPowerLevel(store, e), ts: e.pdu.origin_server_ts };
  };
  const heap = new MinHeap<Key>((x, y) =>
    x.power !== y.power ? x.power > y.power : x.ts !== y.ts ? x.ts < y.ts : compareCodePoints(x.id, y.id) < 0,
  );
  for (const [id, n] of outDegree) if (n === 0) heap.push(tieKey(id));
  const sorted: string[] = [];
  for (let next = heap.pop(); next; next = heap.pop()) {
    sorted.push(next.id);
    for (const parent of referencedBy.get(next.id) ?? []) {
      const n = outDegree.get(parent)! - 1;
      outDegree.set(parent, n);
      if (n === 0) heap.push(tieKey(parent));
    }
  }
  return sorted;
}

/**
 * Mainline ordering of `ids` based on the power levels event `powerLevelsId` (spec): events
 * whose power levels ancestry meets the mainline earlier come first; then origin_server_ts,
 * then event id.
 */
export function mainlineSort(store: EventStore, ids: readonly string[], powerLevelsId: string | undefined): string[] {
  const position = new Map<string, number>();
  for (let p = powerLevelsId, i = 0; p !== undefined; p = store.powerLevelsAuthEvent(store.get(p)), i++) {
    position.set(p, i);
  }
  const mainlinePosition = (e: RoomEvent): number => {
    // e itself is not considered, only its power levels ancestors e1, e2, ...
    for (let p = store.powerLevelsAuthEvent(e); p !== undefined; p = store.powerLevelsAuthEvent(store.get(p))) {
      const i = position.get(p);
      if (i !== undefined) return i;
    }
    return Infinity;
  };
  const keyed = ids.map((id) => {
    const e = store.get(id);
    return { id, pos: mainlinePosition(e), ts: e.pdu.origin_server_ts };
  });
  keyed.sort((x, y) => {
    if (x.pos !== y.pos) return x.pos > y.pos ? -1 : 1; // the earlier mainline ancestor first
    if (x.ts !== y.ts) return x.ts < y.ts ? -1 : 1;
    return compareCodePoints(x.id, y.id);
  });
  return keyed.map((k) => k.id);
}

/**
 * Iterative auth checks (spec): apply each event to the state if the auth rules allow it
 * against the state, falling back to the event's own (non-rejected) auth events for keys the
 * state lacks.
 */
export function iterativeAuthChecks(store: EventStore, ids: readonly string[], initial: StateMap): StateMap {
  const state = new Map(initial);
  const { version, rejected } = store;
  for (const id of ids) {
    const event = store.get(id);
    if (event.pdu.state_key === undefined) continue;
    if (event.pdu.type === 'm.room.create') {
      // No state-dependent rule applies to the create event.
      state.set(keyOf(event), id);
      continue;
    }
    // The event's own auth events (in v12 with the implied create event) fill keys the
    // state lacks; the state's events take precedence.
    const authState = new Map<string, RoomEvent>();
    for (const a of store.authEdges(event)) {
      const ae = store.get(a);
      if (!rejected.has(a) && ae.pdu.state_key !== undefined) authState.set(keyOf(ae), ae);
    }
    for (const [t, s] of authTypesForEvent(version, event.pdu)) {
      const k = stateKey(t, s);
      const sid = state.get(k);
      if (sid !== undefined && !rejected.has(sid)) authState.set(k, store.get(sid));
    }
    if (checkStateDependentRules(version, event, authState).allowed) state.set(keyOf(event), id);
  }
  return state;
}

export function resolveV2(store: EventStore, input: StateResolutionInput): StateMap {
  const { stateSets } = input;
  if (stateSets.length === 0) return new Map();
  const { unconflicted, conflicted } = splitConflicted(stateSets, true);
  if (conflicted.size === 0) return unconflicted;

  const conflictedIds = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedIds.add(id);
  store.requireAll(conflictedIds);

  const full = new Set(conflictedIds);
  for (const id of authDifference(store, stateSets)) full.add(id);
  if (store.version.stateRes === 'v2.1') {
    for (const id of conflictedStateSubgraph(store, conflictedIds)) full.add(id);
  }

  // Step 1: the power events and the parts of their auth chains in the full conflicted set.
  const powerSet = new Set<string>();
  const stack = [...full].filter((id) => isPowerEvent(store.get(id)));
  while (stack.length) {
    const id = stack.pop()!;
    if (powerSet.has(id)) continue;
    powerSet.add(id);
    for (const a of store.authEdges(store.get(id))) if (full.has(a) && !powerSet.has(a)) stack.push(a);
  }
  const sortedPower = reverseTopologicalPowerSort(store, powerSet);

  // Step 2 (v12 starts from the empty state, filling keys from each event's auth events).
  const base: StateMap = store.version.stateRes === 'v2.1' ? new Map() : unconflicted;
  const partial = iterativeAuthChecks(store, sortedPower, base);

  // Steps 3 and 4.
  const others = [...full].filter((id) => !powerSet.has(id));
  const sortedOthers = mainlineSort(store, others, partial.get(stateKey('m.room.power_levels', '')));
  const resolved = iterativeAuthChecks(store, sortedOthers, partial);

  // Step 5.
  for (const [k, id] of unconflicted) resolved.set(k, id);
  return resolved;
}

