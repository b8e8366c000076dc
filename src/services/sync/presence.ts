// A user's own presence, kept by their object: syncing marks them active, and changes reach the
// users who share a room with them through the misc stream.
import type { Env } from '../../config';
import { getPresence, putPresence } from '../../db/queries/presence';
import { activityUpdate } from '../../matrix/presence';
import { roomMates } from '../../db/queries/sync';
import type { UserScope } from '../account/scope';
import { federatePresence } from '../federation/presence';
import type { SyncWaiters } from './waiters';
import { wakeUsers } from './wake';

export class PresenceTracker {
  #current?: { state: string; statusMsg: string | null; lastActiveTs: number };
  constructor(
    private env: Env,
    private waiters: SyncWaiters,
  ) {}

  async #load(s: UserScope) {
    if (!this.#current) {
      const row = await getPresence(s.db, s.userId);
      this.#current = row ? { state: row.state, statusMsg: row.statusMsg, lastActiveTs: row.lastActiveTs } : { state: 'offline', statusMsg: null, lastActiveTs: 0 };
    }
    return this.#current;
  }

  /** A sync with set_presence online/unavailable: the user is active. */
  async seen(s: UserScope, state: 'online' | 'unavailable'): Promise<void> {
    const now = Date.now();
    const cur = await this.#load(s);
    const update = activityUpdate(cur, state, now);
    if (update !== 'skip') await s.serial(() => this.#write(s, state, cur.statusMsg, now, update === 'notify'));
  }

  /** PUT /presence/{userId}/status. */
  async set(s: UserScope, state: string, statusMsg: string | null | undefined): Promise<void> {
    const cur = await this.#load(s);
    await this.#write(s, state, statusMsg === undefined ? cur.statusMsg : statusMsg, Date.now());
  }

  async #write(s: UserScope, state: string, statusMsg: string | null, now: number, notify = true): Promise<void> {
    const pos = await putPresence(s.db, { userId: s.userId, state, statusMsg, lastActiveTs: now });
    this.#current = { state, statusMsg, lastActiveTs: now };
    if (!notify) return;
    this.waiters.notify({ m: pos });
    await wakeUsers(this.env, (await roomMates(s.db, s.userId)).filter((u) => u !== s.userId), { m: pos });
    await federatePresence(s, state, statusMsg, now).catch((e) => console.error(`[federation] presence of ${s.userId} not sent: ${e}`));
  }
}
