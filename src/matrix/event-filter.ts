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
