// Queries over profiles, account data and filters.
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { Db, PooledDb } from '../client';
import { takeMiscPositions } from './streams';
import { accountData, filters, users } from '../schema';

export async function getProfile(db: Db, userId: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await db.select({ profile: users.profile, deactivated: users.deactivated }).from(users).where(eq(users.userId, userId));
  return row?.profile;
}

export async function setProfile(db: Db, userId: string, profile: Record<string, unknown>): Promise<void> {
  await db.update(users).set({ profile }).where(eq(users.userId, userId));
}

export async function getAccountData(db: Db, userId: string, roomId: string, type: string) {
  const [row] = await db
    .select({ content: accountData.content })
    .from(accountData)
    .where(and(eq(accountData.userId, userId), eq(accountData.roomId, roomId), eq(accountData.type, type)));
  return row?.content;
}

/** Writes account data at a new misc-stream position (a transaction: the UserDO's pooled db). */
export async function putAccountData(db: PooledDb, userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<number> {
  return db.transaction(async (tx) => {
    const [pos] = await takeMiscPositions(tx);
    await tx
      .insert(accountData)
      .values({ userId, roomId, type, content, streamPos: pos })
      .onConflictDoUpdate({ target: [accountData.userId, accountData.roomId, accountData.type], set: { content, streamPos: pos } });
    return pos;
  });
}

/** Account data changed after a misc position (global when roomId is '', else per room). */
export async function accountDataSince(db: Db, userId: string, after: number, upto: number) {
  return db
    .select({ roomId: accountData.roomId, type: accountData.type, content: accountData.content })
    .from(accountData)
    .where(and(eq(accountData.userId, userId), gt(accountData.streamPos, after), lte(accountData.streamPos, upto)));
}

export async function getFilter(db: Db, userId: string, filterId: string) {
  const [row] = await db.select({ filter: filters.filter }).from(filters).where(and(eq(filters.userId, userId), eq(filters.filterId, filterId)));
  return row?.filter;
}

/** Filter ids are small per-user integers, as Synapse issues them. */
export async function insertFilter(db: Db, userId: string, filter: Record<string, unknown>): Promise<string> {
  const [row] = await db
    .insert(filters)
    .values({
      userId,
      filter,
      filterId: sql`(select (coalesce(max(filter_id::bigint), -1) + 1)::text from ${filters} where user_id = ${userId})`,
    })
    .returning({ filterId: filters.filterId });
  return row.filterId;
}
