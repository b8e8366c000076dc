// PDU validation per room version (spec: rooms/vN "Event format", the PDU definitions,
// client-server "Size limits"). A PDU that fails is dropped over federation, or answered
// with the MatrixError thrown here (M_BAD_JSON, M_TOO_LARGE) on client APIs.

import { canonicalJson, CanonicalJsonError } from './canonical-json';
import { badJson, ErrCode, MatrixError } from './errors';
import { checkEventId, checkRoomId, checkUserId, utf8Length } from './ids';
import type { RoomVersion } from './room-versions';
import type { Pdu } from './types';

/** A PDU in canonical JSON, signatures included, may not exceed 65536 bytes. */
export const MAX_PDU_BYTES = 65536;
/** `type` and `state_key` may not exceed 255 bytes (ids have their own 255-byte limit). */
export const MAX_TYPE_BYTES = 255;
export const MAX_STATE_KEY_BYTES = 255;
export const MAX_AUTH_EVENTS = 10;
export const MAX_PREV_EVENTS = 20;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(field: string, reason: string): never {
  throw badJson(`Invalid event: ${field} ${reason}`, { field });
}

function checkReferences(value: unknown, field: string, max: number, version: RoomVersion): void {
  if (!Array.isArray(value)) fail(field, 'must be an array');
  if (value.length > max) fail(field, `may list at most ${max} events`);
  for (const ref of value) {
    let id: unknown = ref;
    if (version.eventIdFormat === 'v1') {
      // v1–v2: [event_id, {sha256: reference hash}]
      if (!Array.isArray(ref) || ref.length !== 2 || !isObject(ref[1])) fail(field, 'entries must be [event_id, hashes] pairs');
      id = ref[0];
    }
    if (typeof id !== 'string') fail(field, 'entries must be event ids');
    const reason = checkEventId(id, version);
    if (reason) fail(field, `contains an invalid event id: ${reason}`);
  }
}

/**
 * The size in bytes of the PDU's canonical JSON; throws M_TOO_LARGE (413) above 65536, and
 * M_BAD_JSON when the event has no canonical form.
 */
export function checkPduSize(pdu: Record<string, unknown>): number {
  let size: number;
  try {
    size = utf8Length(canonicalJson(pdu));
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw badJson(`Invalid event: ${e.message}`);
    throw e;
  }
  if (size > MAX_PDU_BYTES) throw new MatrixError(413, ErrCode.TOO_LARGE, `Event is larger than ${MAX_PDU_BYTES} bytes.`);
  return size;
}

/**
 * Validates a PDU received or built for a room of this version and returns it typed.
 * Throws MatrixError M_BAD_JSON naming the field, or M_TOO_LARGE.
 */
export function validatePdu(value: unknown, version: RoomVersion): Pdu {
  if (!isObject(value)) throw badJson('Invalid event: not a JSON object');
  const e = value;

  if (typeof e.type !== 'string') fail('type', 'must be a string');
  if (utf8Length(e.type) > MAX_TYPE_BYTES) fail('type', `exceeds ${MAX_TYPE_BYTES} bytes`);
  if (typeof e.sender !== 'string') fail('sender', 'must be a string');
  const senderReason = checkUserId(e.sender);
  if (senderReason) fail('sender', `is not a user id: ${senderReason}`);

  const isV12Create = version.roomIdFormat === 'create-event' && e.type === 'm.room.create';
  if (!isV12Create || 'room_id' in e) {
    if (typeof e.room_id !== 'string') fail('room_id', 'must be a string');
    const roomReason = checkRoomId(e.room_id, version);
    if (roomReason) fail('room_id', `is not a room id: ${roomReason}`);
  }

  if ('state_key' in e) {
    if (typeof e.state_key !== 'string') fail('state_key', 'must be a string');
    if (utf8Length(e.state_key) > MAX_STATE_KEY_BYTES) fail('state_key', `exceeds ${MAX_STATE_KEY_BYTES} bytes`);
  }
  if (!Number.isInteger(e.origin_server_ts)) fail('origin_server_ts', 'must be an integer');
  if (!isObject(e.content)) fail('content', 'must be an object');
  if (!Number.isInteger(e.depth) || (e.depth as number) < 0) fail('depth', 'must be a non-negative integer');
  if ((e.depth as number) > version.maxDepth) fail('depth', 'exceeds the maximum depth');
  if (!isObject(e.hashes) || typeof e.hashes.sha256 !== 'string') fail('hashes', 'must be an object with a sha256 string');
  if (!isObject(e.signatures) || !Object.values(e.signatures).every((s) => isObject(s) && Object.values(s).every((x) => typeof x === 'string'))) {
    fail('signatures', 'must map server names to objects of key id to signature');
  }
  if ('unsigned' in e && !isObject(e.unsigned)) fail('unsigned', 'must be an object');
  if ('redacts' in e && typeof e.redacts !== 'string') fail('redacts', 'must be an event id');

  if (version.eventIdFormat === 'v1') {
    if (typeof e.event_id !== 'string') fail('event_id', 'must be a string');
    const reason = checkEventId(e.event_id, version);
    if (reason) fail('event_id', `is not an event id: ${reason}`);
  }
  checkReferences(e.auth_events, 'auth_events', MAX_AUTH_EVENTS, version);
  checkReferences(e.prev_events, 'prev_events', MAX_PREV_EVENTS, version);

  if (e.type === 'm.room.redaction' && version.redactsInContent && 'redacts' in e.content && typeof e.content.redacts !== 'string') {
    fail('content.redacts', 'must be an event id');
  }

  // Size, and from v6 the canonical JSON rules (no floats, integers in range): canonicalJson
  // rejects what has no canonical form. Before v6 servers SHOULD cope with such values, but
  // they cannot be hashed or signed here, so they are refused too.
  checkPduSize(e);
  return e as unknown as Pdu;
}
