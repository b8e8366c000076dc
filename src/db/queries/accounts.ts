// Queries over users, devices and tokens.
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { accessTokens, devices, refreshTokens, users } from '../schema';
import { deletePushersOfDevices } from './push';

export type UserRow = typeof users.$inferSelect;
export type DeviceRow = typeof devices.$inferSelect;

export async function getUser(db: Db, userId: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.userId, userId));
  return row;
}

export async function userExists(db: Db, userId: string): Promise<boolean> {
  const rows = await db.select({ one: sql<number>`1` }).from(users).where(eq(users.userId, userId));
  return rows.length > 0;
}

/** Inserts a user; false when the id is taken. */
export async function insertUser(db: Db, row: typeof users.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(users).values(row).onConflictDoNothing().returning({ userId: users.userId });
  return inserted.length === 1;
}

export async function nextGeneratedLocalpartNumber(db: Db): Promise<number> {
  // Both drivers answer execute() with a result object carrying `rows`.
  const result = (await db.execute(sql`select nextval('generated_user_ids') as n`)) as unknown as { rows: { n: string }[] };
  return Number(result.rows[0].n);
}

export interface SessionRow {
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  used: boolean;
  refreshTokenId: number | null;
  isGuest: boolean;
  admin: boolean;
  suspended: boolean;
  locked: boolean;
  deactivated: boolean;
}

export async function findSession(db: Db, tokenHash: string): Promise<SessionRow | undefined> {
  const [row] = await db
    .select({
      userId: accessTokens.userId,
      deviceId: accessTokens.deviceId,
      expiresTs: accessTokens.expiresTs,
      used: accessTokens.used,
      refreshTokenId: accessTokens.refreshTokenId,
      isGuest: users.isGuest,
      admin: users.admin,
      suspended: users.suspended,
      locked: users.locked,
      deactivated: users.deactivated,
    })
    .from(accessTokens)
    .innerJoin(users, eq(users.userId, accessTokens.userId))
    .where(eq(accessTokens.tokenHash, tokenHash));
  return row;
}

/** First use of an access token issued by a refresh: the refresh token before it is retired. */
export async function markSessionUsed(db: Db, tokenHash: string, refreshTokenId: number | null): Promise<void> {
  await db.update(accessTokens).set({ used: true }).where(eq(accessTokens.tokenHash, tokenHash));
  if (refreshTokenId !== null) await retirePreviousRefreshToken(db, refreshTokenId);
}

export async function retirePreviousRefreshToken(db: Db, refreshTokenId: number): Promise<void> {
  const [row] = await db.select({ previousId: refreshTokens.previousId }).from(refreshTokens).where(eq(refreshTokens.id, refreshTokenId));
  if (row?.previousId != null) {
    await db.delete(refreshTokens).where(eq(refreshTokens.id, row.previousId));
    await db.update(refreshTokens).set({ previousId: null }).where(eq(refreshTokens.id, refreshTokenId));
  }
}

export async function findRefreshToken(db: Db, tokenHash: string) {
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
  return row;
}

/** Creates or refreshes a device; true when it is new. */
export async function upsertDevice(db: Db, row: typeof devices.$inferInsert): Promise<boolean> {
  const [r] = await db
    .insert(devices)
    .values(row)
    .onConflictDoUpdate({
      target: [devices.userId, devices.deviceId],
      // An existing device keeps its name unless the client gives a new one (spec: login, device_id).
      set: row.displayName != null ? { displayName: row.displayName } : { deviceId: row.deviceId },
    })
    .returning({ inserted: sql<boolean>`(xmax = 0)` });
  return r.inserted;
}

export async function listDevices(db: Db, userId: string): Promise<DeviceRow[]> {
  return db.select().from(devices).where(eq(devices.userId, userId)).orderBy(devices.createdTs, devices.deviceId);
}

export async function getDevice(db: Db, userId: string, deviceId: string): Promise<DeviceRow | undefined> {
  const [row] = await db.select().from(devices).where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)));
  return row;
}

export async function renameDevice(db: Db, userId: string, deviceId: string, displayName: string | null): Promise<boolean> {
  const rows = await db
    .update(devices)
    .set({ displayName })
    .where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)))
    .returning({ d: devices.deviceId });
  return rows.length > 0;
}

/** Token hashes of the given devices (to drop them from caches), deleting devices and tokens. */
export async function deleteDevices(db: Db, userId: string, deviceIds: string[]): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  const tokens = await db
    .delete(accessTokens)
    .where(and(eq(accessTokens.userId, userId), inArray(accessTokens.deviceId, deviceIds)))
    .returning({ h: accessTokens.tokenHash });
  await db.delete(refreshTokens).where(and(eq(refreshTokens.userId, userId), inArray(refreshTokens.deviceId, deviceIds)));
  await db.delete(devices).where(and(eq(devices.userId, userId), inArray(devices.deviceId, deviceIds)));
  await deletePushersOfDevices(db, userId, deviceIds);
  return tokens.map((t) => t.h);
}

/** Every device but `keep` (password change with logout_devices), returning their ids. */
export async function otherDeviceIds(db: Db, userId: string, keep: string | undefined): Promise<string[]> {
  const where = keep ? and(eq(devices.userId, userId), ne(devices.deviceId, keep)) : eq(devices.userId, userId);
  const rows = await db.select({ d: devices.deviceId }).from(devices).where(where);
  return rows.map((r) => r.d);
}

export async function setPasswordHash(db: Db, userId: string, passwordHash: string | null): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.userId, userId));
}

export async function touchDevice(
  db: Db,
  userId: string,
  deviceId: string,
  seen: { lastSeenTs: number; lastSeenIp: string | null; lastSeenUserAgent: string | null },
): Promise<void> {
  await db.update(devices).set(seen).where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)));
}
