// Content hashes, reference hashes and event ids per room version (spec: server-server
// "Calculating the content hash / reference hash for an event", rooms/v1, v3, v4, v12).

import { decodeBase64, encodeBase64, encodeBase64Url } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import { ALPHANUMERIC, randomString } from './random';
import { redactEvent } from './redaction';
import type { RoomVersion } from './room-versions';
import type { EventJson, JsonObject } from './types';

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

/** sha256 of the canonical JSON of the event without unsigned, signatures and hashes. */
export async function computeContentHash(event: EventJson): Promise<Uint8Array> {
  const { unsigned: _u, signatures: _s, hashes: _h, ...rest } = event as JsonObject;
  return sha256(canonicalJsonBytes(rest));
}

/** The content hash as stored in `hashes.sha256` (unpadded base64). */
export async function contentHashBase64(event: EventJson): Promise<string> {
  return encodeBase64(await computeContentHash(event));
}

/** True when `hashes.sha256` matches the event (a mismatch means: treat as redacted). */
export async function checkContentHash(event: EventJson): Promise<boolean> {
  const hashes = event.hashes as Record<string, unknown> | undefined;
  const claimed = hashes && typeof hashes === 'object' ? hashes.sha256 : undefined;
  if (typeof claimed !== 'string') return false;
  let expected: Uint8Array;
  try {
    expected = decodeBase64(claimed);
  } catch {
    return false;
  }
  const actual = await computeContentHash(event);
  return expected.length === actual.length && expected.every((b, i) => b === actual[i]);
}

/** sha256 of the canonical JSON of the redacted event without signatures and unsigned. */
export async function computeReferenceHash(event: EventJson, version: RoomVersion): Promise<Uint8Array> {
  const { signatures: _s, unsigned: _u, ...rest } = redactEvent(event, version);
  return sha256(canonicalJsonBytes(rest));
}

/**
 * The event id: carried in the event for room versions 1–2; the reference hash in unpadded
 * base64 for v3, URL-safe unpadded base64 for v4+, prefixed with `$`.
 */
export async function computeEventId(event: EventJson, version: RoomVersion): Promise<string> {
  if (version.eventIdFormat === 'v1') {
    const id = (event as JsonObject).event_id;
    if (typeof id !== 'string') throw new Error('room v1/v2 events carry their event_id');
    return id;
  }
  const hash = await computeReferenceHash(event, version);
  return '$' + (version.eventIdFormat === 'v3' ? encodeBase64(hash) : encodeBase64Url(hash));
}

/** Room version 12: the room id is the create event's id with `!` instead of `$`. */
export function roomIdFromCreateEventId(createEventId: string): string {
  return '!' + createEventId.slice(1);
}

/** Room version 12: the create event id a room id stands for. */
export function createEventIdFromRoomId(roomId: string): string {
  return '$' + roomId.slice(1);
}

/** Random alphanumerics for opaque ids. */
export function randomOpaqueId(length: number): string {
  return randomString(ALPHANUMERIC, length);
}

/** A new `$opaque:server` event id for room versions 1–2. */
export function generateLegacyEventId(serverName: string): string {
  return `$${randomOpaqueId(18)}:${serverName}`;
}

/** A new `!opaque:server` room id for room versions 1–11. */
export function generateLegacyRoomId(serverName: string): string {
  return `!${randomOpaqueId(18)}:${serverName}`;
}
