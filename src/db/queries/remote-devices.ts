// The cached device lists of remote users (src/services/federation/device-lists.ts): written in
// the remote user's object, one update at a time; read by /keys/query.
import { and, eq, inArray, lt, max, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { crossSigningKeys, deviceListChanges, remoteDeviceLists, remoteDevices } from '../schema';
import type { Tx } from './e2ee';

export async function trackedStreamId(db: Db | Tx, userId: string): Promise<number | undefined> {
  const [row] = await db.select({ s: remoteDeviceLists.streamId }).from(remoteDeviceLists).where(eq(remoteDeviceLists.userId, userId));
  return row?.s;
}

export async function setStreamId(tx: Tx, userId: string, streamId: number): Promise<void> {
  const now = Date.now();
  await tx
    .insert(remoteDeviceLists)
    .values({ userId, streamId, updatedTs: now })
    .onConflictDoUpdate({ target: remoteDeviceLists.userId, set: { streamId, updatedTs: now } });
}

/** Stops following a user's device list (its cache could no longer be kept up to date). */
export async function untrack(tx: Tx, userId: string): Promise<void> {
  await tx.delete(remoteDeviceLists).where(eq(remoteDeviceLists.userId, userId));
  await tx.delete(remoteDevices).where(eq(remoteDevices.userId, userId));
}

/** One device's keys (null: a device without keys), replacing what was there. */
export async function putRemoteDevice(tx: Tx, userId: string, deviceId: string, keyJson: string | null): Promise<void> {
  await tx
    .insert(remoteDevices)
    .values({ userId, deviceId, keyJson })
    .onConflictDoUpdate({ target: [remoteDevices.userId, remoteDevices.deviceId], set: { keyJson } });
}

export async function deleteRemoteDevice(tx: Tx, userId: string, deviceId: string): Promise<void> {
  await tx.delete(remoteDevices).where(and(eq(remoteDevices.userId, userId), eq(remoteDevices.deviceId, deviceId)));
}

/** A full resync: the user's devices become exactly these. */
export async function replaceRemoteDevices(tx: Tx, userId: string, devices: { deviceId: string; keyJson: string | null }[]): Promise<void> {
  await tx.delete(remoteDevices).where(eq(remoteDevices.userId, userId));
  if (devices.length) await tx.insert(remoteDevices).values(devices.map((d) => ({ userId, ...d })));
}

/** Master or self-signing key of a remote user, as their server published it. */
export async function putRemoteCrossSigningKey(tx: Db | Tx, userId: string, keyType: 'master' | 'self_signing', publicKey: string, keyJson: string): Promise<void> {
  await tx
    .insert(crossSigningKeys)
    .values({ userId, keyType, publicKey, keyJson })
    .onConflictDoUpdate({ target: [crossSigningKeys.userId, crossSigningKeys.keyType], set: { publicKey, keyJson } });
}

/** The cached devices of the given (tracked) users: user → device → key JSON (null without keys). */
export async function remoteDevicesOf(db: Db, userIds: string[]): Promise<{ userId: string; deviceId: string; keyJson: string | null }[]> {
  if (userIds.length === 0) return [];
  return db.select().from(remoteDevices).where(inArray(remoteDevices.userId, userIds));
}

/** Of the given users, those whose device lists we follow. */
export async function trackedUsers(db: Db, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.select({ u: remoteDeviceLists.userId }).from(remoteDeviceLists).where(inArray(remoteDeviceLists.userId, userIds));
  return new Set(rows.map((r) => r.u));
}

/** The position of a local user's last device-list change (the stream_id other servers know), 0 if none. */
export async function lastDeviceListChange(db: Db, userId: string, before?: number): Promise<number> {
  const conds = [eq(deviceListChanges.userId, userId)];
  if (before !== undefined) conds.push(lt(deviceListChanges.streamPos, before));
  const [row] = await db.select({ p: max(deviceListChanges.streamPos) }).from(deviceListChanges).where(and(...conds));
  return Number(row?.p ?? 0);
}

/** Whether any local user shares a joined room with `userId` now. */
export async function sharesRoomWithLocalUser(db: Db, userId: string): Promise<boolean> {
  const r = (await db.execute(sql`
    select 1 from room_memberships me
    join room_memberships o on o.room_id = me.room_id and o.membership = 'join' and o.local
    where me.user_id = ${userId} and me.membership = 'join' limit 1`)) as unknown as { rows: unknown[] };
  return r.rows.length > 0;
}

/** Servers of remote users who share a joined room with `userId`. */
export async function serversSharingRoomWith(db: Db, userId: string): Promise<string[]> {
  const r = (await db.execute(sql`
    select distinct substring(o.user_id from position(':' in o.user_id) + 1) as server from room_memberships me
    join room_memberships o on o.room_id = me.room_id and o.membership = 'join' and not o.local
    where me.user_id = ${userId} and me.membership = 'join'`)) as unknown as { rows: { server: string }[] };
  return r.rows.map((x) => x.server);
}
