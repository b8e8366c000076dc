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

export async function wakeUsers(env: Env, userIds: Iterable<string>, news: News): Promise<void> {
  await Promise.all(
    [...new Set(userIds)].map((userId) =>
      env.USER.get(env.USER.idFromName(userId))
        .wake(userId, news)
        .catch((e: unknown) => console.warn(`[sync] could not wake ${userId}: ${e}`)),
    ),
  );
}
