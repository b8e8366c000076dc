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
