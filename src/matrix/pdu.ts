// Reading PDU fields the same way whatever the room version's event format.

import type { EventReference, JsonObject, Pdu } from './types';

function ids(refs: readonly (string | EventReference)[] | undefined): string[] {
  if (!Array.isArray(refs)) return [];
  return refs.map((r) => (typeof r === 'string' ? r : Array.isArray(r) ? r[0] : '')).filter((r) => typeof r === 'string');
}

/** prev_events as event ids (v1–v2 carry [id, hashes] pairs). */
export function prevEventIds(pdu: Pdu | JsonObject): string[] {
  return ids(pdu.prev_events as (string | EventReference)[] | undefined);
}

/** auth_events as event ids, as listed in the event (v12's implied create event not added). */
export function authEventIds(pdu: Pdu | JsonObject): string[] {
  return ids(pdu.auth_events as (string | EventReference)[] | undefined);
}

export function isStateEvent(pdu: Pdu): pdu is Pdu & { state_key: string } {
  return typeof pdu.state_key === 'string';
}

/** `content.membership` of a member event, if it is a string. */
export function membershipOf(pdu: Pdu | undefined): string | undefined {
  const m = pdu?.content?.membership;
  return typeof m === 'string' ? m : undefined;
}
