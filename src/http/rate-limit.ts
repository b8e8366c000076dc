// Rate limits that span isolates: each (action, key) bucket lives in its own Durable Object.
import type { RateSpec } from '../config';
import type { Ctx } from './context';
import { limitExceeded } from './errors';

export async function rateLimit(c: Ctx, action: string, key: string, spec: RateSpec): Promise<void> {
  if (!c.get('config').rateLimits.enabled) return;
  const ns = c.env.RATE_LIMITER;
  const wait = await ns.get(ns.idFromName(`${action}:${key}`)).take(spec);
  if (wait > 0) throw limitExceeded(wait);
}

/**
 * Per-user limits on room actions (spec: rate-limited endpoints answer 429 M_LIMIT_EXCEEDED).
 * `key` is the user whose bucket pays: the sender, or for invites the invitee (as Synapse's
 * rc_invites.per_user). Server admins are exempt.
 */
export async function rateLimitUser(c: Ctx, action: 'messages' | 'joins' | 'invites', key = c.get('requester').userId): Promise<void> {
  if (c.get('requester').admin) return;
  await rateLimit(c, action, key, c.get('config').rateLimits[action]);
}
