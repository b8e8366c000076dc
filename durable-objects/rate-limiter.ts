// One object per rate-limited (action, key) pair, e.g. login attempts from one address.
// Buckets live in memory: an object is only evicted after being idle, by which time it has refilled.
import { DurableObject } from 'cloudflare:workers';
import type { Env, RateSpec } from '../src/config';
import { TokenBucket } from '../src/services/rate-limit/bucket';

export class RateLimiterDO extends DurableObject<Env> {
  #bucket?: TokenBucket;
  /** 0 when allowed, otherwise milliseconds to wait. */
  take(spec: RateSpec): number {
    this.#bucket ??= new TokenBucket(spec);
    return this.#bucket.take();
  }
}
