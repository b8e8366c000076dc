// Verifying `content.third_party_invite.signed` against the public keys of the room's
// `m.room.third_party_invite` event (auth rule "If membership is invite" 1.7).
//
// tweetnacl, not WebCrypto: the auth rules are synchronous (state resolution runs them in
// tight loops) and WebCrypto has no synchronous verify. Third-party invites are rare, so
// the ~5 ms per verification does not matter.

import nacl from 'tweetnacl';
import { decodeBase64, decodeBase64Url } from '../base64';
import { canonicalJsonBytes } from '../canonical-json';
import type { JsonObject } from '../types';

function decodeKey(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  // Identity servers publish keys in standard or URL-safe unpadded base64.
  for (const decode of [decodeBase64, decodeBase64Url]) {
    try {
      const bytes = decode(text);
      if (bytes.length === 32) return bytes;
    } catch {
      // try the other alphabet
    }
  }
  return undefined;
}

/** The public keys of an `m.room.third_party_invite` event: `public_key` and `public_keys[].public_key`. */
export function thirdPartyInvitePublicKeys(content: JsonObject): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const single = decodeKey(content.public_key);
  if (single) keys.push(single);
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) {
      const k = decodeKey((entry as JsonObject | null)?.public_key);
      if (k) keys.push(k);
    }
  }
  return keys;
}

/** True when any ed25519 signature in `signed.signatures` verifies with any of the keys. */
export function verifyThirdPartySigned(signed: JsonObject, publicKeys: readonly Uint8Array[]): boolean {
  const signatures = signed.signatures;
  if (typeof signatures !== 'object' || signatures === null) return false;
  let message: Uint8Array;
  try {
    const { signatures: _s, unsigned: _u, ...rest } = signed;
    message = canonicalJsonBytes(rest);
  } catch {
    return false;
  }
  for (const byKey of Object.values(signatures as JsonObject)) {
    if (typeof byKey !== 'object' || byKey === null) continue;
    for (const [keyId, sigText] of Object.entries(byKey as JsonObject)) {
      if (!keyId.startsWith('ed25519:') || typeof sigText !== 'string') continue;
      let sig: Uint8Array;
      try {
        sig = decodeBase64(sigText);
      } catch {
        continue;
      }
      if (sig.length !== 64) continue;
      for (const pk of publicKeys) if (nacl.sign.detached.verify(message, sig, pk)) return true;
    }
  }
  return false;
}
