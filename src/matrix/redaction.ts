// The redaction algorithm (spec: client-server "Redactions" and the per-version rules in
// rooms/v1, v6, v8, v9, v11). Used both to serve redacted events and, crucially, to
// compute reference hashes and signatures, which cover the redacted form.

import type { RoomVersion } from './room-versions';
import type { EventJson, JsonObject } from './types';

const TOP_LEVEL_V1 = new Set([
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership',
]);

// v11 drops origin, membership and prev_state.
const TOP_LEVEL_V11 = new Set([
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures',
  'depth', 'prev_events', 'auth_events', 'origin_server_ts',
]);

const POWER_LEVELS_KEYS = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(content: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (Object.prototype.hasOwnProperty.call(content, k)) out[k] = content[k];
  return out;
}

/** The content keys a redaction keeps for this event type and room version. */
function redactContent(type: unknown, content: JsonObject, version: RoomVersion): JsonObject {
  const r = version.redaction;
  switch (type) {
    case 'm.room.member': {
      const out = pick(content, r.keepJoinAuthorisedVia ? ['membership', 'join_authorised_via_users_server'] : ['membership']);
      if (r.v11 && isObject(content.third_party_invite)) {
        // v11 keeps only `signed` inside third_party_invite (the object itself stays).
        out.third_party_invite = pick(content.third_party_invite, ['signed']);
      }
      return out;
    }
    case 'm.room.create':
      return r.v11 ? { ...content } : pick(content, ['creator']);
    case 'm.room.join_rules':
      return pick(content, r.keepJoinRulesAllow ? ['join_rule', 'allow'] : ['join_rule']);
    case 'm.room.power_levels':
      return pick(content, r.v11 ? [...POWER_LEVELS_KEYS, 'invite'] : POWER_LEVELS_KEYS);
    case 'm.room.aliases':
      return r.keepAliases ? pick(content, ['aliases']) : {};
    case 'm.room.history_visibility':
      return pick(content, ['history_visibility']);
    case 'm.room.redaction':
      return r.v11 ? pick(content, ['redacts']) : {};
    default:
      return {};
  }
}

/**
 * The redacted copy of an event (federation format). Keys not protected by the room
 * version's algorithm are removed, `unsigned` included; the input is not mutated.
 * Values kept are shared with the input, not deep-copied.
 */
export function redactEvent(input: EventJson, version: RoomVersion): JsonObject {
  const event = input as JsonObject;
  const keep = version.redaction.v11 ? TOP_LEVEL_V11 : TOP_LEVEL_V1;
  const out: JsonObject = {};
  for (const k of Object.keys(event)) if (keep.has(k)) out[k] = event[k];
  out.content = redactContent(event.type, isObject(event.content) ? event.content : {}, version);
  return out;
}

/**
 * The event a redaction targets: top-level `redacts` before v11, `content.redacts` from v11
 * (spec: rooms/v11 "Moving the redacts property").
 */
export function redactsTarget(event: { content?: unknown; redacts?: unknown }, version: RoomVersion): string | undefined {
  const value = version.redactsInContent
    ? isObject(event.content) ? event.content.redacts : undefined
    : event.redacts;
  return typeof value === 'string' ? value : undefined;
}
