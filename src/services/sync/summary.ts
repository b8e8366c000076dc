// The room summary of a joined room in /sync (spec: sync.yaml RoomSummary).
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { roomMemberships } from '../../db/schema';
import type { JsonObject } from '../../matrix/types';
import type { RoomModel } from '../rooms/model';

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

export function summaryOf(model: RoomModel, heroes: string[]): JsonObject {
  return { 'm.heroes': heroes, 'm.joined_member_count': model.members('join').length, 'm.invited_member_count': model.members('invite').length };
}
