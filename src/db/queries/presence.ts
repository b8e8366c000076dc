// Presence of local users (spec: "Presence").
import { and, eq, gt, inArray, lte } from 'drizzle-orm';
import type { Db, PooledDb } from '../client';
import { presence } from '../schema';
import { takeMiscPositions } from './streams';

export type PresenceRow = typeof presence.$inferSelect;

export async function getPresence(db: Db, userId: string): Promise<PresenceRow | undefined> {
  const [row] = await db.select().from(presence).where(eq(presence.userId, userId));
  return row;
}

/** Writes a user's presence at a new misc position (through the user's object). */
export async function putPresence(db: PooledDb, row: Omit<PresenceRow, 'streamPos'>): Promise<number> {
  return db.transaction(async (tx) => {
    const [pos] = await takeMiscPositions(tx);
    await tx
      .insert(presence)
      .values({ ...row, streamPos: pos })
      .onConflictDoUpdate({ target: presence.userId, set: { state: row.state, statusMsg: row.statusMsg, lastActiveTs: row.lastActiveTs, streamPos: pos } });
    return pos;
  });
}

export async function presenceSince(db: Db, userIds: string[], after: number, upto: number): Promise<PresenceRow[]> {
  if (userIds.length === 0) return [];
  return db.select().from(presence).where(and(inArray(presence.userId, userIds), gt(presence.streamPos, after), lte(presence.streamPos, upto)));
}
