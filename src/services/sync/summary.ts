// The room summary of a joined room in /sync (spec: sync.yaml RoomSummary).
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { roomMemberships } from '../../db/schema';
import type { JsonObject } from '../../matrix/types';

const MAX_HEROES = 5;

/**
 * m.heroes: "the first 5 members of the room, ordered by stream ordering, which are joined or
 * invited", never the user; when there are none, the users who left or were banned.
 */
export async function heroesOf(db: Db, roomId: string, userId: string): Promise<string[]> {
  const present = sql`${roomMemberships.membership} in ('join', 'invite')`;
  const rows = await db
    .select({ userId: roomMemberships.userId, present: sql<boolean>`${present}` })
    .from(roomMemberships)
    .where(and(eq(roomMemberships.roomId, roomId), ne(roomMemberships.userId, userId), sql`${roomMemberships.membership} <> 'knock'`))
    .orderBy(sql`case when ${present} then 0 else 1 end`, asc(roomMemberships.streamPos))
    .limit(MAX_HEROES);
  const kept = rows[0]?.present ? rows.filter((r) => r.present) : rows;
  return kept.map((r) => r.userId);
}

/** The summary, with member counts from the membership index (no room state needs loading). */
export async function summaryOf(db: Db, roomId: string, heroes: string[]): Promise<JsonObject> {
  const [counts] = await db
    .select({
      joined: sql<number>`count(*) filter (where ${roomMemberships.membership} = 'join')`.mapWith(Number),
      invited: sql<number>`count(*) filter (where ${roomMemberships.membership} = 'invite')`.mapWith(Number),
    })
    .from(roomMemberships)
    .where(eq(roomMemberships.roomId, roomId));
  return { 'm.heroes': heroes, 'm.joined_member_count': counts?.joined ?? 0, 'm.invited_member_count': counts?.invited ?? 0 };
}
