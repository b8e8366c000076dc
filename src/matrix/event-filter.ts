// Event filters (spec: client-server "Filtering"): which events a filter lets through.
import type { JsonObject } from './types';

export interface EventFilterSpec {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
}

/** `*` matches any run of characters (spec: types and not_types). */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(type);
}

export function matchesFilter(filter: EventFilterSpec | undefined, event: { type: string; sender: string; room_id?: string; content: JsonObject }): boolean {
  if (!filter) return true;
  if (filter.not_types?.some((p) => typeMatches(p, event.type))) return false;
  if (filter.types && !filter.types.some((p) => typeMatches(p, event.type))) return false;
  if (filter.not_senders?.includes(event.sender)) return false;
  if (filter.senders && !filter.senders.includes(event.sender)) return false;
  if (event.room_id !== undefined) {
    if (filter.not_rooms?.includes(event.room_id)) return false;
    if (filter.rooms && !filter.rooms.includes(event.room_id)) return false;
  }
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.content.url === 'string';
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

/**
 * One entry of a filter's `event_fields` as a property path (spec appendix: "Dot-separated
 * property paths"): dots separate names, `\.` and `\\` are a literal dot and backslash, and any
 * other backslash is itself.
 */
export function propertyPath(field: string): string[] {
  const path: string[] = [];
  let name = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i];
    if (c === '\\' && (field[i + 1] === '.' || field[i + 1] === '\\')) name += field[++i];
    else if (c === '.') {
      path.push(name);
      name = '';
    } else name += c;
  }
  path.push(name);
  return path;
}

/** Keeps only the listed properties of an event (spec: Filter `event_fields`); an empty list keeps none. */
export function onlyEventFields(event: JsonObject, fields: string[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const path = propertyPath(field);
    let from: unknown = event;
    for (const name of path) from = isObject(from) && Object.hasOwn(from, name) ? from[name] : undefined;
    if (from === undefined) continue;
    let to = out;
    for (const name of path.slice(0, -1)) {
      // Copied on the way down, so that a wider field taken before is never written into.
      const next: JsonObject = isObject(to[name]) ? { ...(to[name] as JsonObject) } : {};
      to[name] = next;
      to = next;
    }
    to[path[path.length - 1]] = from;
  }
  return out;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
