// `required_state` (MSC4186, in the form Synapse and matrix-rust-sdk use): [type, state_key] pairs,
// where `*` in either place is a wildcard, `$ME` is the requesting user, and
// ["m.room.member", "$LAZY"] asks for the members the returned timeline needs. As in MSC3575,
// with lazy loading on, ["*", "*"] does not bring every member.
import { splitStateKey } from '../../matrix/state-map';

export const WILDCARD = '*';
export const LAZY = '$LAZY';
export const ME = '$ME';
const MEMBER = 'm.room.member';

/** Event type (or `*`) → the state keys asked for, sorted: a canonical form, comparable as JSON. */
export type RequiredState = Record<string, string[]>;

/** The canonical form of a set of pairs: duplicates and entries a wildcard covers are dropped. */
export function fromPairs(pairs: Iterable<readonly [string, string]>): RequiredState {
  const map = new Map<string, Set<string>>();
  for (const [type, key] of pairs) {
    let keys = map.get(type);
    if (!keys) map.set(type, (keys = new Set()));
    keys.add(key);
  }
  const anyType = map.get(WILDCARD);
  for (const [type, keys] of map) {
    // Every key of the type: nothing else about it matters (all members make $LAZY moot). Not so
    // for ["*", "*"]: with lazy members its other keys (e.g. $ME) still bring members.
    if (type !== WILDCARD && keys.has(WILDCARD)) {
      map.set(type, new Set([WILDCARD]));
      continue;
    }
    if (type !== WILDCARD && anyType) for (const k of keys) if (anyType.has(k) && k !== LAZY) keys.delete(k);
    if (keys.size === 0) map.delete(type);
  }
  const out: RequiredState = {};
  for (const type of [...map.keys()].sort()) out[type] = [...map.get(type)!].sort();
  return out;
}

export function pairsOf(rs: RequiredState): [string, string][] {
  return Object.entries(rs).flatMap(([type, keys]) => keys.map((k): [string, string] => [type, k]));
}

/** The union of two: what either asks for. */
export function combine(a: RequiredState, b: RequiredState): RequiredState {
  return fromPairs([...pairsOf(a), ...pairsOf(b)]);
}

export function sameRequiredState(a: RequiredState, b: RequiredState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether member events come lazily (those the timeline needs) rather than all of them. */
export function isLazy(rs: RequiredState): boolean {
  const members = rs[MEMBER];
  return !!members && members.includes(LAZY) && !members.includes(WILDCARD);
}

function keyMatches(keys: string[] | undefined, key: string, userId: string, wildcard: boolean): boolean {
  if (!keys) return false;
  return (wildcard && keys.includes(WILDCARD)) || keys.includes(key) || (key === userId && keys.includes(ME));
}

/** Whether the state entry (type, state_key) is asked for (lazily loaded members aside). */
export function matches(rs: RequiredState, type: string, key: string, userId: string): boolean {
  if (keyMatches(rs[type], key, userId, true)) return true;
  return keyMatches(rs[WILDCARD], key, userId, !(type === MEMBER && isLazy(rs)));
}

/** `matches` for a key in the state-map form (src/matrix/state-map.ts). */
export function matchesStateKey(rs: RequiredState, k: string, userId: string): boolean {
  const [type, key] = splitStateKey(k);
  return matches(rs, type, key, userId);
}

/** What to read from a room's state for a required_state: the rows that can match it. */
export interface StateSelection {
  all: boolean;
  /** Every type but m.room.member. */
  allButMembers: boolean;
  /** Every key of these types. */
  types: string[];
  pairs: [string, string][];
  /** These keys, of any type. */
  keys: string[];
}

export function selectionOf(rs: RequiredState, userId: string): StateSelection {
  const sel: StateSelection = { all: false, allButMembers: false, types: [], pairs: [], keys: [] };
  const resolve = (k: string) => (k === ME ? userId : k);
  for (const [type, keys] of Object.entries(rs)) {
    if (type === WILDCARD) {
      for (const k of keys) {
        if (k === WILDCARD) {
          if (isLazy(rs)) sel.allButMembers = true;
          else sel.all = true;
        } else if (k !== LAZY) sel.keys.push(resolve(k));
      }
      continue;
    }
    for (const k of keys) {
      if (k === WILDCARD) sel.types.push(type);
      else if (k !== LAZY) sel.pairs.push([type, resolve(k)]);
    }
  }
  return sel;
}
