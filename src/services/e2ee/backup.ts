// Server-side key backups (spec: "Server-side key backups"): versions with opaque auth_data, and
// encrypted session keys per room and session. Writes run in the owner's object, one at a time.
import { z } from 'zod';
import * as q from '../../db/queries/key-backup';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { UserScope } from '../account/scope';
import { canonical, type Json } from './shapes';

const unknownVersion = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown backup version');

/** Backup versions are the decimal numbers this server hands out; anything else names none. */
function versionNumber(version: string): number {
  if (!/^[1-9]\d{0,15}$/.test(version)) throw unknownVersion();
  return Number(version);
}

export const versionBody = z.object({
  algorithm: z.string().min(1),
  auth_data: z.record(z.string(), z.unknown()),
  version: z.string().optional(),
});
export type VersionBody = z.infer<typeof versionBody>;

export const keyBackupData = z.object({
  first_message_index: z.number().int().min(0),
  forwarded_count: z.number().int().min(0),
  is_verified: z.boolean(),
  session_data: z.record(z.string(), z.unknown()),
});
export type KeyBackupData = z.infer<typeof keyBackupData>;
export const roomKeyBackup = z.object({ sessions: z.record(z.string(), keyBackupData) });
export const roomsBackup = z.object({ rooms: z.record(z.string().regex(/^!/, 'room ids start with "!"'), roomKeyBackup) });

export interface VersionInfo {
  algorithm: string;
  auth_data: Json;
  count: number;
  etag: string;
  version: string;
}

async function info(scope: UserScope, row: q.BackupRow): Promise<VersionInfo> {
  return {
    algorithm: row.algorithm,
    auth_data: JSON.parse(row.authData) as Json,
    count: await q.countBackupKeys(scope.db, scope.userId, row.version),
    etag: String(row.etag),
    version: String(row.version),
  };
}

export async function createVersion(scope: UserScope, body: VersionBody): Promise<{ version: string }> {
  const version = await q.createBackup(scope.db, scope.userId, body.algorithm, canonical(body.auth_data, 'auth_data'));
  return { version: String(version) };
}

/** GET /room_keys/version[/{version}]: the newest backup when no version is given. */
export async function getVersion(scope: UserScope, version?: string): Promise<VersionInfo> {
  const row = version === undefined ? await q.currentBackup(scope.db, scope.userId) : await q.getBackup(scope.db, scope.userId, versionNumber(version));
  if (!row || row.deleted) throw version === undefined ? new MatrixError(404, ErrCode.NOT_FOUND, 'No current backup version') : unknownVersion();
  return info(scope, row);
}

/** PUT /room_keys/version/{version}: only auth_data changes; the algorithm must stay the same. */
export async function updateVersion(scope: UserScope, version: string, body: VersionBody): Promise<Record<string, never>> {
  if (body.version !== undefined && body.version !== version) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'The version in the body does not match the path');
  const n = versionNumber(version);
  const row = await q.getBackup(scope.db, scope.userId, n);
  if (!row || row.deleted) throw unknownVersion();
  if (row.algorithm !== body.algorithm) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Algorithm does not match');
  await q.updateBackupAuthData(scope.db, scope.userId, n, canonical(body.auth_data, 'auth_data'));
  return {};
}

/** DELETE /room_keys/version/{version}: the version and its keys; deleting it again succeeds. */
export async function deleteVersion(scope: UserScope, version: string): Promise<Record<string, never>> {
  const n = versionNumber(version);
  const row = await q.getBackup(scope.db, scope.userId, n);
  if (!row) throw unknownVersion();
  if (!row.deleted) await q.deleteBackup(scope.db, scope.userId, n);
  return {};
}

export interface KeysUpdate {
  etag: string;
  count: number;
}

/**
 * The spec's rule when a session is already backed up: a verified key beats an unverified one,
 * then the lower first_message_index wins, then the lower forwarded_count. Ties keep the stored key.
 */
export function replaces(stored: { isVerified: boolean; firstMessageIndex: number; forwardedCount: number }, incoming: KeyBackupData): boolean {
  if (stored.isVerified !== incoming.is_verified) return incoming.is_verified;
  if (stored.firstMessageIndex !== incoming.first_message_index) return incoming.first_message_index < stored.firstMessageIndex;
  return incoming.forwarded_count < stored.forwardedCount;
}

/** PUT /room_keys/keys[...]: only into the current version (else M_WRONG_ROOM_KEYS_VERSION). */
export async function putKeys(scope: UserScope, version: string, rooms: Record<string, Record<string, KeyBackupData>>): Promise<KeysUpdate> {
  const { userId } = scope;
  const n = versionNumber(version);
  const current = await q.currentBackup(scope.db, userId);
  if (!current) throw unknownVersion();
  if (current.version !== n) {
    const asked = await q.getBackup(scope.db, userId, n);
    if (!asked || asked.deleted) throw unknownVersion();
    throw new MatrixError(403, ErrCode.WRONG_ROOM_KEYS_VERSION, 'Wrong backup version.', { current_version: String(current.version) });
  }
  const pairs: [string, string][] = [];
  for (const [roomId, sessions] of Object.entries(rooms)) for (const sessionId of Object.keys(sessions)) pairs.push([roomId, sessionId]);
  return scope.db.transaction(async (tx) => {
    const stored = new Map((await q.backupKeysAmong(tx, userId, n, pairs)).map((k) => [`${k.roomId}\u0000${k.sessionId}`, k]));
    const writes: q.BackupKeyRow[] = [];
    for (const [roomId, sessionId] of pairs) {
      const key = rooms[roomId][sessionId];
      const old = stored.get(`${roomId}\u0000${sessionId}`);
      if (old && !replaces(old, key)) continue;
      writes.push({
        userId,
        version: n,
        roomId,
        sessionId,
        firstMessageIndex: key.first_message_index,
        forwardedCount: key.forwarded_count,
        isVerified: key.is_verified,
        sessionData: canonical(key.session_data, 'session_data'),
      });
    }
    let etag = current.etag;
    if (writes.length) {
      await q.putBackupKeys(tx, writes);
      await q.setBackupEtag(tx, userId, n, ++etag);
    }
    return { etag: String(etag), count: await q.countBackupKeys(tx, userId, n) };
  });
}

function toData(k: q.BackupKeyRow): KeyBackupData {
  return {
    first_message_index: k.firstMessageIndex,
    forwarded_count: k.forwardedCount,
    is_verified: k.isVerified,
    session_data: JSON.parse(k.sessionData) as Record<string, unknown>,
  };
}

async function readableVersion(scope: UserScope, version: string): Promise<number> {
  const n = versionNumber(version);
  const row = await q.getBackup(scope.db, scope.userId, n);
  if (!row || row.deleted) throw unknownVersion();
  return n;
}

/** GET /room_keys/keys[...], from any existing version. */
export async function getKeys(scope: UserScope, version: string, roomId?: string, sessionId?: string) {
  const n = await readableVersion(scope, version);
  const keys = await q.getBackupKeys(scope.db, scope.userId, n, roomId, sessionId);
  if (sessionId !== undefined) {
    if (keys.length === 0) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Key not found.');
    return toData(keys[0]);
  }
  const rooms: Record<string, { sessions: Record<string, KeyBackupData> }> = {};
  for (const k of keys) (rooms[k.roomId] ??= { sessions: {} }).sessions[k.sessionId] = toData(k);
  if (roomId !== undefined) return rooms[roomId] ?? { sessions: {} };
  return { rooms };
}

/** DELETE /room_keys/keys[...]: the etag moves on, as after any change. */
export async function deleteKeys(scope: UserScope, version: string, roomId?: string, sessionId?: string): Promise<KeysUpdate> {
  const n = await readableVersion(scope, version);
  return scope.db.transaction(async (tx) => {
    const row = (await q.getBackup(tx, scope.userId, n))!;
    await q.deleteBackupKeys(tx, scope.userId, n, roomId, sessionId);
    await q.setBackupEtag(tx, scope.userId, n, row.etag + 1);
    return { etag: String(row.etag + 1), count: await q.countBackupKeys(tx, scope.userId, n) };
  });
}
