// Hashing and signing PDUs, and checking their signatures (spec: server-server "Signing
// Events", "Validating hashes and signatures on received events"). Signatures cover the
// redacted event, so they survive redaction; the content hash covers the full event.

import { serverNameOf } from './ids';
import { contentHashBase64 } from './hashes';
import { redactEvent } from './redaction';
import type { RoomVersion } from './room-versions';
import { signJson, type SigningKey, type Signatures, verifyJsonSignature } from './signing';
import type { EventJson, JsonObject } from './types';

/**
 * Adds `hashes.sha256` and this server's signature to an event (a copy is returned).
 * Existing signatures of other servers are kept.
 */
export async function hashAndSignEvent<T extends JsonObject>(
  event: T,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): Promise<T & { hashes: { sha256: string }; signatures: Signatures }> {
  const hashed = { ...event, hashes: { sha256: await contentHashBase64(event) } };
  const signed = await signJson(redactEvent(hashed, version), serverName, key);
  return { ...hashed, signatures: signed.signatures };
}

/** Verifies one server's signature on an event (over its redacted form). */
export function verifyEventSignature(
  event: EventJson,
  version: RoomVersion,
  serverName: string,
  keyId: string,
  publicKey: Uint8Array,
): Promise<boolean> {
  return verifyJsonSignature(redactEvent(event, version), serverName, keyId, publicKey);
}

/**
 * The servers whose signatures an event must carry: the sender's server (except for a
 * third-party invite, which another server may send), the event id's server in v1–v2, and
 * from v8 the server of `join_authorised_via_users_server` when a member event has one.
 */
export function requiredSignatureServers(input: EventJson, version: RoomVersion): string[] {
  const event = input as JsonObject;
  const servers = new Set<string>();
  const content = (event.content ?? {}) as JsonObject;
  const isThirdPartyInvite =
    event.type === 'm.room.member' && content.membership === 'invite' && 'third_party_invite' in content;
  const sender = typeof event.sender === 'string' ? serverNameOf(event.sender) : undefined;
  if (sender !== undefined && !isThirdPartyInvite) servers.add(sender);
  if (version.eventIdFormat === 'v1' && typeof event.event_id === 'string') {
    const origin = serverNameOf(event.event_id);
    if (origin !== undefined) servers.add(origin);
  }
  // The auth rules (v8+) require this signature on any member event carrying the key, and
  // only check that it is present, so it must be verified here whatever the membership.
  if (version.restrictedJoins && event.type === 'm.room.member' && typeof content.join_authorised_via_users_server === 'string') {
    const via = serverNameOf(content.join_authorised_via_users_server);
    if (via !== undefined) servers.add(via);
  }
  return [...servers];
}
