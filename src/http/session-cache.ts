// A short-lived, per-isolate cache of authenticated sessions. The user's object is the authority
// (and its own cache is exact), but asking it costs a Durable Object round trip on every request;
// a busy client (a bot, a bridge, a sync loop plus sends) reuses its answer for a few seconds.
// Revocations made through this isolate (logout, device deletion, password change, deactivation)
// drop entries at once; in other isolates a revoked token lives on for at most TTL_MS.
import type { Requester } from './context';

export const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  requester: Requester;
  /** When this entry stops being trusted: the TTL, or the token's own expiry if sooner. */
  until: number;
}

const entries = new Map<string, Entry>();

export function cachedSession(tokenHash: string, now = Date.now()): Requester | undefined {
  const e = entries.get(tokenHash);
  if (!e) return undefined;
  if (e.until <= now) {
    entries.delete(tokenHash);
    return undefined;
  }
  return e.requester;
}

export function cacheSession(requester: Requester, expiresTs: number | null, now = Date.now()): void {
  if (entries.size >= MAX_ENTRIES) entries.clear();
  entries.set(requester.tokenHash, { requester, until: Math.min(now + TTL_MS, expiresTs ?? Infinity) });
}

/** Forgets every cached session of a user (their tokens may just have been revoked). */
export function forgetUserSessions(userId: string): void {
  for (const [hash, e] of entries) if (e.requester.userId === userId) entries.delete(hash);
}
