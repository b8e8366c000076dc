// A user's parked /sync requests and what the user's object knows about the newest positions that
// concern the user. With these in memory, a sync with nothing new costs no query at all.
import type { Filter } from '../../api/client/filter';
import { KeyCountCache } from './key-counts';
import type { News } from './wake';

export interface TypingRoom {
  userIds: string[];
  /** The serial (ms) of the last change. */
  t: number;
}

export class SyncWaiters {
  /** Newest positions known to concern this user; undefined until first learnt from the database. */
  latest?: { e: number; m: number };
  /** When `latest` was last read from the database (it is refreshed now and then, in case a wake was lost). */
  checkedAt = 0;
  /** Per device, the misc position up to which its to-device messages were already deleted. */
  readonly ackedToDevice = new Map<string, number>();
  /** Current typists per room, as the rooms last reported them. */
  readonly typing = new Map<string, TypingRoom>();
  /** The devices' key counts (see key-counts.ts). */
  readonly keyCounts = new KeyCountCache();
  /** Stored filters by id, as validated: a stored filter never changes. */
  readonly filters = new Map<string, Filter>();
  #parked = new Set<() => void>();

  /** Learns the stream heads from a sync's snapshot. */
  learn(heads: { e: number; m: number }, now = Date.now()): void {
    this.latest = { e: Math.max(this.latest?.e ?? 0, heads.e), m: Math.max(this.latest?.m ?? 0, heads.m) };
    this.checkedAt = now;
  }

  get typingSerial(): number {
    let t = 0;
    for (const r of this.typing.values()) t = Math.max(t, r.t);
    return t;
  }

  notify(news: News): void {
    if (this.latest) {
      if (news.e !== undefined) this.latest.e = Math.max(this.latest.e, news.e);
      if (news.m !== undefined) this.latest.m = Math.max(this.latest.m, news.m);
    }
    if (news.typing) this.typing.set(news.typing.roomId, { userIds: news.typing.userIds, t: news.typing.t });
    for (const wake of this.#parked) wake();
    this.#parked.clear();
  }

  /** Resolves on the next notification, or after `timeoutMs`. */
  park(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#parked.delete(done);
        resolve();
      }
      this.#parked.add(done);
    });
  }
}
