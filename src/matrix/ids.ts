// Identifier grammars (spec appendix "Identifier Grammar", rooms/v1, v3, v4 and v12 event
// and room ids). Every check returns the precise reason an identifier is malformed, so the
// API layer can say which part of which identifier is wrong.

import { randomString } from './random';
import type { RoomVersion } from './room-versions';

export type IdentifierKind = 'server_name' | 'user_id' | 'room_id' | 'event_id' | 'room_alias' | 'device_id';

/** A malformed identifier. `kind` says which grammar it failed, `reason` where. */
export class InvalidIdentifierError extends Error {
  override name = 'InvalidIdentifierError';
  constructor(readonly kind: IdentifierKind, readonly value: string, readonly reason: string) {
    super(`invalid ${kind.replace('_', ' ')} ${JSON.stringify(value)}: ${reason}`);
  }
}

/** Identifiers (with sigil and domain) may not exceed 255 bytes of UTF-8. */
export const MAX_ID_BYTES = 255;

const encoder = new TextEncoder();

export function utf8Length(s: string): number {
  // Fast path for ASCII, which is nearly every identifier.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
}

// ---- Server names -------------------------------------------------------------------------

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const PORT = /^\d{1,5}$/;

function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255);
}

/** IPv6 text form per RFC 3513 §2.2: eight groups, `::` once, optional trailing IPv4. */
export function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(s)) return false;
  let groups = 8;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    text = text.slice(0, lastColon + 1) + '0'; // the IPv4 tail counts as two groups
    groups = 7;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parse = (part: string): string[] | null => {
    if (part === '') return [];
    const hextets = part.split(':');
    return hextets.every((h) => /^[0-9A-Fa-f]{1,4}$/.test(h)) ? hextets : null;
  };
  if (halves.length === 1) {
    const all = parse(halves[0]);
    return all !== null && all.length === groups;
  }
  const left = parse(halves[0]);
  const right = parse(halves[1]);
  return left !== null && right !== null && left.length + right.length < groups;
}

/** The reason `s` is not a server name (`hostname [":" port]`), or null when it is one. */
export function checkServerName(s: string): string | null {
  let host = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return 'IPv6 literal is missing "]"';
    host = s.slice(0, close + 1);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return 'unexpected characters after IPv6 literal';
      port = rest.slice(1);
    }
    if (!isIPv6(host.slice(1, -1))) return 'invalid IPv6 literal';
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
    if (host === '') return 'empty hostname';
    // A dotted quad is an IPv4 literal only if every part is <= 255; otherwise it is read
    // as a DNS name, which the grammar also allows.
    if (!isIPv4(host) && !DNS_NAME.test(host)) return 'hostname has characters outside [A-Za-z0-9.-] or is too long';
  }
  if (port !== undefined && !PORT.test(port)) return 'port must be 1 to 5 digits';
  return null;
}

export function isValidServerName(s: string): boolean {
  return checkServerName(s) === null;
}

export function parseServerName(s: string): { host: string; port: number | undefined } {
  const reason = checkServerName(s);
  if (reason) throw new InvalidIdentifierError('server_name', s, reason);
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(s)!;
  return { host: m[1], port: m[2] === undefined ? undefined : Number(m[2]) };
}

/** The server name after the first `:` of an `&localpart:domain` id, if there is one. */
export function serverNameOf(id: string): string | undefined {
  const i = id.indexOf(':');
  return i < 0 ? undefined : id.slice(i + 1);
}

// ---- Shared `&localpart:domain` parsing ----------------------------------------------------

// Historical localparts (user ids, room ids, aliases): any non-surrogate code point except
// ':' and NUL. With the `u` flag a surrogate pair is one code point, so [\uD800-\uDFFF]
// matches only lone surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function checkSigilled(
  id: string,
  sigil: string,
  allowEmptyLocalpart: boolean,
): { localpart: string; serverName: string } | string {
  if (typeof id !== 'string') return 'not a string';
  if (!id.startsWith(sigil)) return `must start with "${sigil}"`;
  if (utf8Length(id) > MAX_ID_BYTES) return `longer than ${MAX_ID_BYTES} bytes`;
  const colon = id.indexOf(':');
  if (colon < 0) return 'missing ":" before the server name';
  const localpart = id.slice(1, colon);
  const serverName = id.slice(colon + 1);
  if (!allowEmptyLocalpart && localpart === '') return 'empty localpart';
  if (localpart.includes('\u0000')) return 'localpart contains NUL';
  if (LONE_SURROGATE.test(localpart)) return 'localpart contains a lone surrogate';
  const serverReason = checkServerName(serverName);
  if (serverReason) return `invalid server name: ${serverReason}`;
  return { localpart, serverName };
}

// ---- User ids -----------------------------------------------------------------------------

const USER_LOCALPART = /^[a-z0-9._=\-/+]+$/;

export interface UserIdOptions {
  /**
   * Require the current grammar (localpart of a-z 0-9 . _ = - / +). Off by default: servers
   * MUST accept historical user ids (any code point but ':' and NUL, even empty) in events.
   */
  strict?: boolean;
}

export interface ParsedId {
  localpart: string;
  serverName: string;
}

export function checkUserId(id: string, options: UserIdOptions = {}): string | null {
  const r = checkSigilled(id, '@', !options.strict);
  if (typeof r === 'string') return r;
  if (options.strict && !USER_LOCALPART.test(r.localpart)) {
    return 'localpart may only contain a-z, 0-9, ".", "_", "=", "-", "/" and "+"';
  }
  return null;
}

export function isValidUserId(id: string, options?: UserIdOptions): boolean {
  return checkUserId(id, options) === null;
}

export function parseUserId(id: string, options?: UserIdOptions): ParsedId {
  const reason = checkUserId(id, options);
  if (reason) throw new InvalidIdentifierError('user_id', id, reason);
  const colon = id.indexOf(':');
  return { localpart: id.slice(1, colon), serverName: id.slice(colon + 1) };
}

/** The current-grammar localpart check, for registration. */
export function isValidUserLocalpart(localpart: string): boolean {
  return USER_LOCALPART.test(localpart);
}

/**
 * Historical user ids that servers accept in events but SHOULD NOT forward to clients
 * outside events: localparts with characters outside U+0021–U+007E, or empty.
 */
export function isCompliantUserId(id: string): boolean {
  const colon = id.indexOf(':');
  return colon > 1 && /^[\x21-\x7e]+$/.test(id.slice(1, colon));
}

// ---- Room ids -----------------------------------------------------------------------------

// v12 room ids and v3+/v4+ event ids are a sha256 in unpadded base64: 43 characters.
const HASH_STD = /^[A-Za-z0-9+/]{43}$/;
const HASH_URL = /^[A-Za-z0-9_-]{43}$/;

export type ParsedRoomId =
  | { format: 'server'; localpart: string; serverName: string }
  | { format: 'create-event'; hash: string };

/**
 * The reason `id` is not a room id, or null. With a room version, only that version's
 * format is accepted; without one, either format is.
 */
export function checkRoomId(id: string, version?: RoomVersion): string | null {
  if (typeof id !== 'string') return 'not a string';
  if (!id.startsWith('!')) return 'must start with "!"';
  const wantHash = version?.roomIdFormat === 'create-event';
  const looksHashed = !id.includes(':');
  if (version === undefined ? looksHashed : wantHash) {
    if (!HASH_URL.test(id.slice(1))) return 'must be "!" and 43 characters of URL-safe unpadded base64';
    return null;
  }
  const r = checkSigilled(id, '!', false);
  return typeof r === 'string' ? r : null;
}

export function isValidRoomId(id: string, version?: RoomVersion): boolean {
  return checkRoomId(id, version) === null;
}

export function parseRoomId(id: string, version?: RoomVersion): ParsedRoomId {
  const reason = checkRoomId(id, version);
  if (reason) throw new InvalidIdentifierError('room_id', id, reason);
  const colon = id.indexOf(':');
  if (colon < 0) return { format: 'create-event', hash: id.slice(1) };
  return { format: 'server', localpart: id.slice(1, colon), serverName: id.slice(colon + 1) };
}

// ---- Event ids ----------------------------------------------------------------------------

/**
 * The reason `id` is not an event id, or null. With a room version: v1–v2 `$opaque:server`,
 * v3 `$` + 43 chars of standard base64, v4+ `$` + 43 chars of URL-safe base64. Without one,
 * any of the three.
 */
export function checkEventId(id: string, version?: RoomVersion): string | null {
  if (typeof id !== 'string') return 'not a string';
  if (!id.startsWith('$')) return 'must start with "$"';
  if (utf8Length(id) > MAX_ID_BYTES) return `longer than ${MAX_ID_BYTES} bytes`;
  const body = id.slice(1);
  const format = version?.eventIdFormat;
  if (format === 'v3') return HASH_STD.test(body) ? null : 'must be "$" and 43 characters of unpadded base64';
  if (format === 'v4') return HASH_URL.test(body) ? null : 'must be "$" and 43 characters of URL-safe unpadded base64';
  if (format === undefined && !body.includes(':')) {
    return HASH_STD.test(body) || HASH_URL.test(body) ? null : 'must be "$" and a 43-character base64 hash';
  }
  const r = checkSigilled(id, '$', false);
  return typeof r === 'string' ? r : null;
}

export function isValidEventId(id: string, version?: RoomVersion): boolean {
  return checkEventId(id, version) === null;
}

export function parseEventId(id: string, version?: RoomVersion): string {
  const reason = checkEventId(id, version);
  if (reason) throw new InvalidIdentifierError('event_id', id, reason);
  return id;
}

// ---- Room aliases -------------------------------------------------------------------------

export function checkRoomAlias(alias: string): string | null {
  const r = checkSigilled(alias, '#', false);
  return typeof r === 'string' ? r : null;
}

export function isValidRoomAlias(alias: string): boolean {
  return checkRoomAlias(alias) === null;
}

export function parseRoomAlias(alias: string): ParsedId {
  const reason = checkRoomAlias(alias);
  if (reason) throw new InvalidIdentifierError('room_alias', alias, reason);
  const colon = alias.indexOf(':');
  return { localpart: alias.slice(1, colon), serverName: alias.slice(colon + 1) };
}

// ---- Device ids ---------------------------------------------------------------------------

// Device ids are opaque, but appear in OAuth scopes (`urn:matrix:client:device:<id>`), so they
// MUST use the scope characters %x21 / %x23-5B / %x5D-7E (spec: "Device ID allocation").
const DEVICE_ID = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;

export function checkDeviceId(id: string): string | null {
  if (typeof id !== 'string') return 'not a string';
  if (id === '') return 'empty';
  if (id.length > 255) return 'longer than 255 characters';
  if (!DEVICE_ID.test(id)) return 'may only contain printable ASCII other than space, \'"\' and "\\"';
  return null;
}

export function isValidDeviceId(id: string): boolean {
  return checkDeviceId(id) === null;
}

/** A new device id: 10 upper-case letters, like other homeservers issue. */
export function generateDeviceId(): string {
  return randomString('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 10);
}

// ---- Namespaced identifiers ---------------------------------------------------------------

/** Common Namespaced Identifier Grammar: 1–255 of [a-z0-9._-], starting with a letter. */
export function isValidNamespacedId(id: string): boolean {
  return /^[a-z][a-z0-9._-]{0,254}$/.test(id);
}

/** Opaque Identifier Grammar: 1–255 of [0-9A-Za-z._~-]. */
export function isValidOpaqueId(id: string, maxLength = 255): boolean {
  return id.length >= 1 && id.length <= maxLength && /^[0-9A-Za-z._~-]+$/.test(id);
}
