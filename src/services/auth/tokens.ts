// Access and refresh tokens. A token names its user (so the Worker can route the request to that
// user's Durable Object without a database query) and carries 190 random bits; only its SHA-256
// digest is ever stored.
import { decodeBase64Url, encodeBase64, encodeBase64Url } from '../../matrix/base64';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const RANDOM_CHARS = 32;

export function randomString(length: number, alphabet = BASE62): string {
  // Rejection sampling keeps every character uniformly likely.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const b of bytes) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export type TokenKind = 'access' | 'refresh' | 'login';
const PREFIX: Record<TokenKind, string> = { access: 'myl_', refresh: 'myr_', login: 'myt_' };

/** `myl_<base64url localpart>_<32 base62 chars>`; the random part has no `_`, so it splits unambiguously. */
export function newToken(kind: TokenKind, localpart: string): string {
  return `${PREFIX[kind]}${encodeBase64Url(new TextEncoder().encode(localpart))}_${randomString(RANDOM_CHARS)}`;
}

/** The localpart a token claims to belong to, or undefined if it is not one of ours. */
export function tokenLocalpart(kind: TokenKind, token: string): string | undefined {
  if (!token.startsWith(PREFIX[kind])) return undefined;
  const cut = token.lastIndexOf('_');
  if (cut <= PREFIX[kind].length || token.length - cut - 1 !== RANDOM_CHARS) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(decodeBase64Url(token.slice(PREFIX[kind].length, cut)));
  } catch {
    return undefined;
  }
}

export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return encodeBase64(new Uint8Array(digest));
}

/** A device id in Synapse's style: ten upper-case letters. */
export function newDeviceId(): string {
  return randomString(10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
}
