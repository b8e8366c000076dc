// Recency of a user's rooms, which orders sliding sync lists: the newest event of each room, and
// its newest "bump" event (bump_stamp). Kept by the user's object and brought up to date from the
// events committed since it last looked, so an incremental sync reads only the new events.
import type { Db } from '../../db/client';
import { activityBetween, activityOf, type Activity } from '../../db/queries/sliding-sync';

/** The event types that count as activity for bump_stamp (MSC4186, as Synapse counts them). */
export const BUMP_EVENT_TYPES = ['m.room.create', 'm.room.message', 'm.room.encrypted', 'm.sticker', 'm.call.invite', 'm.poll.start', 'm.beacon_info'] as const;

/** Past this many new positions, reading every room's newest events again is cheaper. */
const MAX_CATCH_UP = 50_000;

export class RoomActivity {
  /** Every entry of #rooms is exact as of this position. */
  #asOf = 0;
  #rooms = new Map<string, Activity>();
  /** Updates run one at a time: each reads from where the previous one stopped. */
  #queue: Promise<unknown> = Promise.resolve();

  /** The activity of `roomIds` as of `upto` (a stream head the caller read), or a little later. */
  of(db: Db, roomIds: string[], upto: number): Promise<ReadonlyMap<string, Activity>> {
    const run = this.#queue.then(() => this.#update(db, roomIds, upto));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #update(db: Db, roomIds: string[], upto: number): Promise<ReadonlyMap<string, Activity>> {
    if (upto > this.#asOf) {
      const wanted = new Set(roomIds);
      for (const id of this.#rooms.keys()) if (!wanted.has(id)) this.#rooms.delete(id);
      if (this.#asOf === 0 || upto - this.#asOf > MAX_CATCH_UP) {
        this.#rooms.clear();
      } else {
        const known = [...this.#rooms.keys()];
        for (const [roomId, a] of await activityBetween(db, known, this.#asOf, upto, BUMP_EVENT_TYPES)) {
          const cur = this.#rooms.get(roomId);
          if (cur) this.#rooms.set(roomId, { last: Math.max(cur.last, a.last), bump: Math.max(cur.bump, a.bump) });
        }
      }
      this.#asOf = upto;
    }
    // Rooms new to the cache are read as of the cache's position, so that they stay exact with it.
    const unknown = roomIds.filter((id) => !this.#rooms.has(id));
    for (const [roomId, a] of await activityOf(db, unknown, this.#asOf, BUMP_EVENT_TYPES)) this.#rooms.set(roomId, a);
    return this.#rooms;
  }
}
