// Queries over server-side key backups (spec: "Server-side key backups"): versions, their room keys,
// and the etag and count that change with them. Writes run in the owning user's object.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, PooledDb } from '../client';
import { roomKeyBackupKeys, roomKeyBackups } from '../schema';
import { rowsOf, type Tx } from './e2ee';

export type BackupRow = typeof roomKeyBackups.$inferSelect;
export type BackupKeyRow = typeof roomKeyBackupKeys.$inferSelect;

/** The newest backup version that is not deleted. */
export async function currentBackup(db: Db | Tx, userId: string): Promise<BackupRow | undefined> {
  const [row] = await db
    .select()
    .from(roomKeyBackups)
    .where(and(eq(roomKeyBackups.userId, userId), eq(roomKeyBackups.deleted, false)))
    .orderBy(desc(roomKeyBackups.version))
    .limit(1);
  return row;
}

export async function getBackup(db: Db | Tx, userId: string, version: number): Promise<BackupRow | undefined> {
  const [row] = await db.select().from(roomKeyBackups).where(and(eq(roomKeyBackups.userId, userId), eq(roomKeyBackups.version, version)));
  return row;
}

/** A new version, numbered after every earlier one (deleted ones included). */
export async function createBackup(db: Db, userId: string, algorithm: string, authData: string): Promise<number> {
  const [row] = await db
    .insert(roomKeyBackups)
    .values({
      userId,
      algorithm,
      authData,
      version: sql`(select coalesce(max(${roomKeyBackups.version}), 0) + 1 from ${roomKeyBackups} where ${roomKeyBackups.userId} = ${userId})`,
    })
    .returning({ version: roomKeyBackups.version });
  return row.version;
}

export async function updateBackupAuthData(db: Db, userId: string, version: number, authData: string): Promise<void> {
  await db.update(roomKeyBackups).set({ authData }).where(and(eq(roomKeyBackups.userId, userId), eq(roomKeyBackups.version, version)));
}

export async function deleteBackup(db: PooledDb, userId: string, version: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(roomKeyBackups).set({ deleted: true }).where(and(eq(roomKeyBackups.userId, userId), eq(roomKeyBackups.version, version)));
    await tx.delete(roomKeyBackupKeys).where(and(eq(roomKeyBackupKeys.userId, userId), eq(roomKeyBackupKeys.version, version)));
  });
}

export async function setBackupEtag(db: Db | Tx, userId: string, version: number, etag: number): Promise<void> {
  await db.update(roomKeyBackups).set({ etag }).where(and(eq(roomKeyBackups.userId, userId), eq(roomKeyBackups.version, version)));
}

export async function countBackupKeys(db: Db | Tx, userId: string, version: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<string>`count(*)` })
    .from(roomKeyBackupKeys)
    .where(and(eq(roomKeyBackupKeys.userId, userId), eq(roomKeyBackupKeys.version, version)));
  return Number(row.n);
}

function keyScope(userId: string, version: number, roomId?: string, sessionId?: string) {
  const conds = [eq(roomKeyBackupKeys.userId, userId), eq(roomKeyBackupKeys.version, version)];
  if (roomId !== undefined) conds.push(eq(roomKeyBackupKeys.roomId, roomId));
  if (sessionId !== undefined) conds.push(eq(roomKeyBackupKeys.sessionId, sessionId));
  return and(...conds);
}

export async function getBackupKeys(db: Db | Tx, userId: string, version: number, roomId?: string, sessionId?: string): Promise<BackupKeyRow[]> {
  return db.select().from(roomKeyBackupKeys).where(keyScope(userId, version, roomId, sessionId));
}

/** The stored keys among (room, session) pairs, for the replacement rule. */
export async function backupKeysAmong(tx: Tx, userId: string, version: number, pairs: [string, string][]): Promise<BackupKeyRow[]> {
  if (pairs.length === 0) return [];
  const r = await tx.execute(sql`
    select k.user_id, k.version, k.room_id, k.session_id, k.first_message_index, k.forwarded_count, k.is_verified
    from ${roomKeyBackupKeys} k
    join unnest(${sql.param(pairs.map((p) => p[0]))}::text[], ${sql.param(pairs.map((p) => p[1]))}::text[]) as w(room_id, session_id)
      on w.room_id = k.room_id and w.session_id = k.session_id
    where k.user_id = ${userId} and k.version = ${version}`);
  return rowsOf<{ room_id: string; session_id: string; first_message_index: string; forwarded_count: string; is_verified: boolean }>(r).map((x) => ({
    userId,
    version,
    roomId: x.room_id,
    sessionId: x.session_id,
    firstMessageIndex: Number(x.first_message_index),
    forwardedCount: Number(x.forwarded_count),
    isVerified: x.is_verified,
    sessionData: '',
  }));
}

export async function putBackupKeys(tx: Tx, rows: BackupKeyRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    await tx
      .insert(roomKeyBackupKeys)
      .values(rows.slice(i, i + 1000))
      .onConflictDoUpdate({
        target: [roomKeyBackupKeys.userId, roomKeyBackupKeys.version, roomKeyBackupKeys.roomId, roomKeyBackupKeys.sessionId],
        set: {
          firstMessageIndex: sql`excluded.first_message_index`,
          forwardedCount: sql`excluded.forwarded_count`,
          isVerified: sql`excluded.is_verified`,
          sessionData: sql`excluded.session_data`,
        },
      });
  }
}

export async function deleteBackupKeys(db: Db | Tx, userId: string, version: number, roomId?: string, sessionId?: string): Promise<void> {
  await db.delete(roomKeyBackupKeys).where(keyScope(userId, version, roomId, sessionId));
}
