// Time-limited TURN credentials by the shared-secret REST scheme that coturn (use-auth-secret) and
// other TURN servers accept: the username is `<expiry unix seconds>:<user id>`, the password the
// standard (padded) base64 of HMAC-SHA1(secret, username). The TURN server recomputes it; nothing is stored.
import type { TurnConfig } from '../../config';

export interface TurnCredentials {
  username: string;
  password: string;
  uris: string[];
  ttl: number;
}

const encoder = new TextEncoder();

export async function turnCredentials(turn: TurnConfig, userId: string, now = Date.now()): Promise<TurnCredentials> {
  const username = `${Math.floor(now / 1000) + turn.ttlSeconds}:${userId}`;
  const key = await crypto.subtle.importKey('raw', encoder.encode(turn.sharedSecret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(username)));
  return { username, password: btoa(String.fromCharCode(...mac)), uris: turn.uris, ttl: turn.ttlSeconds };
}
