import type { Env } from '../../config';
import type { PooledDb } from '../../db/client';

/** What account services get from the user's Durable Object: its connection and its caches. */
export interface UserScope {
  db: PooledDb;
  /** The object's environment: for services that reach other objects (e.g. waking syncs). */
  env: Env;
  userId: string;
  sessions: SessionCache;
  /** Runs writes one after another: the user's streams must be allocated and committed in order. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
}

export interface Session {
  userId: string;
  deviceId: string;
  isGuest: boolean;
  admin: boolean;
  suspended: boolean;
  locked: boolean;
  expiresTs: number | null;
  used: boolean;
  refreshTokenId: number | null;
}

/** Token hash → session, exact because every change to this user's tokens goes through the object. */
export class SessionCache {
  #map = new Map<string, Session>();
  get(hash: string): Session | undefined {
    return this.#map.get(hash);
  }
  set(hash: string, s: Session): void {
    if (this.#map.size >= 256) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(hash, s);
  }
  drop(hashes: Iterable<string>): void {
    for (const h of hashes) this.#map.delete(h);
  }
  clear(): void {
    this.#map.clear();
  }
  /** Admin, guest, suspended or locked flags changed: cached sessions must see it. */
  update(fn: (s: Session) => void): void {
    for (const s of this.#map.values()) fn(s);
  }
}
