// Token buckets: `burst` requests at once, refilled at `perSecond`.
import type { RateSpec } from '../../config';

export class TokenBucket {
  #tokens: number;
  #at: number;
  constructor(private spec: RateSpec, now = Date.now()) {
    this.#tokens = spec.burst;
    this.#at = now;
  }
  /** Takes one token; returns 0 on success or the milliseconds until one is available. */
  take(now = Date.now()): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.spec.perSecond) * 1000);
  }
  /** Whether the bucket is full again and can be forgotten. */
  idle(now = Date.now()): boolean {
    this.#refill(now);
    return this.#tokens >= this.spec.burst;
  }
  #refill(now: number): void {
    this.#tokens = Math.min(this.spec.burst, this.#tokens + ((now - this.#at) / 1000) * this.spec.perSecond);
    this.#at = now;
  }
}

/** Many buckets by key, forgetting full ones so memory stays bounded. */
export class BucketMap {
  #buckets = new Map<string, TokenBucket>();
  take(key: string, spec: RateSpec, now = Date.now()): number {
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size > 10_000) for (const [k, v] of this.#buckets) if (v.idle(now)) this.#buckets.delete(k);
      b = new TokenBucket(spec, now);
      this.#buckets.set(key, b);
    }
    return b.take(now);
  }
}
