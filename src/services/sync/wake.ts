// Telling users' objects that something concerning them was committed, so parked /sync requests
// return at once. Fire-and-forget per user: a failure delays that user's sync until its timeout.
import type { Env } from '../../config';

export interface News {
  /** A committed event position in a room the user is concerned by. */
  e?: number;
  /** A committed misc-stream position concerning the user. */
  m?: number;
  /** Typing changed in a room: the room's current typists, at this serial. */
  typing?: { roomId: string; userIds: string[]; t: number };
}

const userStub = (env: Env, userId: string) => env.USER.get(env.USER.idFromName(userId));

export async function wakeUsers(env: Env, userIds: Iterable<string>, news: News): Promise<void> {
  await Promise.all(
    [...new Set(userIds)].map((userId) =>
      userStub(env, userId)
        .wake(userId, news)
        .catch((e: unknown) => console.warn(`[sync] could not wake ${userId}: ${e}`)),
    ),
  );
}

/**
 * Keys of these users' devices were claimed: their objects drop the key counts they keep for
 * /sync (src/services/sync/key-counts.ts). Awaited, so the owner's next sync has the new counts.
 */
export async function keysClaimed(env: Env, byUser: Map<string, string[]>): Promise<void> {
  await Promise.all(
    [...byUser].map(([userId, deviceIds]) =>
      userStub(env, userId)
        .keyCountsChanged(userId, deviceIds)
        .catch((e: unknown) => console.warn(`[sync] could not tell ${userId} of claimed keys: ${e}`)),
    ),
  );
}
