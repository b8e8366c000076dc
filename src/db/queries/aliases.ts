// Room aliases (spec: client-server "Room aliases").
import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import { roomAliases } from '../schema';

export async function resolveAlias(db: Db, alias: string): Promise<string | undefined> {
  const [row] = await db.select({ roomId: roomAliases.roomId }).from(roomAliases).where(eq(roomAliases.alias, alias));
  return row?.roomId;
}

/** False when the alias is taken. */
export async function insertAlias(db: Db, alias: string, roomId: string, creator: string): Promise<boolean> {
  const rows = await db.insert(roomAliases).values({ alias, roomId, creator, createdTs: Date.now() }).onConflictDoNothing().returning({ a: roomAliases.alias });
  return rows.length === 1;
}

export async function deleteAlias(db: Db, alias: string): Promise<void> {
  await db.delete(roomAliases).where(eq(roomAliases.alias, alias));
}
