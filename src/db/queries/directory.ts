// Room aliases and the published room directory (spec: client-server "Room aliases", "Published
// room directory"). Alias creation and lookup are in aliases.ts.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { roomAliases, roomMemberships, rooms } from '../schema';

export async function aliasEntry(db: Db, alias: string): Promise<{ roomId: string; creator: string } | undefined> {
  const [row] = await db.select({ roomId: roomAliases.roomId, creator: roomAliases.creator }).from(roomAliases).where(eq(roomAliases.alias, alias));
  return row;
}

/** Deletes the alias if it still points where it did; false if someone else changed it meanwhile. */
export async function deleteAliasOf(db: Db, alias: string, roomId: string): Promise<boolean> {
  const rows = await db
    .delete(roomAliases)
    .where(and(eq(roomAliases.alias, alias), eq(roomAliases.roomId, roomId)))
    .returning({ alias: roomAliases.alias });
  return rows.length === 1;
}

export async function aliasesOfRoom(db: Db, roomId: string): Promise<string[]> {
  const rows = await db.select({ alias: roomAliases.alias }).from(roomAliases).where(eq(roomAliases.roomId, roomId)).orderBy(asc(roomAliases.alias));
  return rows.map((r) => r.alias);
}

/** Points every alias of one room at another (room upgrades); returns the aliases moved. */
export async function moveAliases(db: Db, from: string, to: string): Promise<string[]> {
  const rows = await db.update(roomAliases).set({ roomId: to }).where(eq(roomAliases.roomId, from)).returning({ alias: roomAliases.alias });
  return rows.map((r) => r.alias);
}

/** Whether the room is in the published directory; undefined for an unknown room. */
export async function isPublished(db: Db, roomId: string): Promise<boolean | undefined> {
  const [row] = await db.select({ published: rooms.published }).from(rooms).where(eq(rooms.roomId, roomId));
  return row?.published;
}

export async function setPublished(db: Db, roomId: string, published: boolean): Promise<void> {
  await db.update(rooms).set({ published }).where(eq(rooms.roomId, roomId));
}

/** Servers with joined members in the room (who can help others join it). */
export async function joinedServers(db: Db, roomId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ server: sql<string>`substring(${roomMemberships.userId} from position(':' in ${roomMemberships.userId}) + 1)` })
    .from(roomMemberships)
    .where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.membership, 'join')));
  return rows.map((r) => r.server);
}
