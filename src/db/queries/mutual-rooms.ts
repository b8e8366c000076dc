// The rooms two users are both joined to (spec v1.19: GET /mutual_rooms).
import { and, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../client';
import { roomMemberships } from '../schema';

export async function mutualJoinedRooms(db: Db, userId: string, otherUserId: string): Promise<string[]> {
  const other = alias(roomMemberships, 'other');
  const rows = await db
    .select({ roomId: roomMemberships.roomId })
    .from(roomMemberships)
    .innerJoin(other, and(eq(other.roomId, roomMemberships.roomId), eq(other.userId, otherUserId), eq(other.membership, 'join')))
    .where(and(eq(roomMemberships.userId, userId), eq(roomMemberships.membership, 'join')));
  return rows.map((r) => r.roomId);
}
