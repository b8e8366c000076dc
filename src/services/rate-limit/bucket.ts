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
    const wait = this.wait(now);
    if (wait === 0) this.#tokens -= 1;
    return wait;
  }
  /** Milliseconds until a token is available, taking none. */
  wait(now = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.spec.perSecond) * 1000);
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
    return this.#bucket(key, spec, now).take(now);
  }
  wait(key: string, spec: RateSpec, now = Date.now()): number {
    return this.#bucket(key, spec, now).wait(now);
  }
  #bucket(key: string, spec: RateSpec, now: number): TokenBucket {
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size > 10_000) for (const [k, v] of this.#buckets) if (v.idle(now)) this.#buckets.delete(k);
      b = new TokenBucket(spec, now);
      this.#buckets.set(key, b);
    }
    return b;
  }
}
