// Device lists over federation (spec: server-server "Device Management" and "End-to-End
// Encryption"). Serving: GET /user/devices and POST /user/keys/query for our users. Receiving:
// m.device_list_update and m.signing_key_update EDUs of remote users who share a room with one of
// ours, applied in the remote user's object (one at a time, in order) to the cache that
// /keys/query answers from; an update whose prev_id we do not know makes us fetch the whole list
// again (GET /user/devices). Each change is recorded in device_list_changes, so our users see it in
// device_lists.changed of /sync.
import { config, type Env } from '../../config';
import type { Db } from '../../db/client';
import { listDevices } from '../../db/queries/accounts';
import * as q from '../../db/queries/e2ee';
import * as remote from '../../db/queries/remote-devices';
import { roomMates } from '../../db/queries/sync';
import { userObject } from '../../http/auth';
import { canonicalJson } from '../../matrix/canonical-json';
import { MatrixError } from '../../matrix/errors';
import { serverNameOf } from '../../matrix/ids';
import type { UserScope } from '../account/scope';
import { queryKeys } from '../e2ee/keys';
import { checkCrossSigningKey, hasValidSignature, isObject, type CrossSigningKey, type Json } from '../e2ee/shapes';
import { wakeUsers } from '../sync/wake';
import { federationRequest } from './client';

// ---- Serving our users ------------------------------------------------------------------------

/** Device keys for another server: without `unsigned` (device names stay here, as Synapse keeps them). */
function forFederation(keys: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(keys).map(([id, k]) => [id, Object.fromEntries(Object.entries(k).filter(([f]) => f !== 'unsigned'))]));
}

/** POST /user/keys/query: device and cross-signing keys of our users (others are not ours to tell). */
export async function keysForServer(db: Db, ourServer: string, query: Record<string, string[]>) {
  const local = new Map(Object.entries(query).filter(([userId]) => serverNameOf(userId) === ourServer));
  const keys = await queryKeys(db, '', local);
  const deviceKeys: Record<string, Record<string, Json>> = {};
  for (const [userId, devices] of Object.entries(keys.device_keys)) deviceKeys[userId] = forFederation(devices);
  return { device_keys: deviceKeys, master_keys: keys.master_keys, self_signing_keys: keys.self_signing_keys };
}

/** GET /user/devices/{userId}: every device of one of our users, with keys where it has them. */
export async function userDevices(db: Db, userId: string) {
  const [devices, keys, streamId] = await Promise.all([listDevices(db, userId), queryKeys(db, '', new Map([[userId, []]])), remote.lastDeviceListChange(db, userId)]);
  const withKeys = forFederation(keys.device_keys[userId] ?? {});
  const out: Record<string, unknown> = {
    user_id: userId,
    stream_id: streamId,
    devices: devices.map((d) => ({ device_id: d.deviceId, ...(withKeys[d.deviceId] ? { keys: withKeys[d.deviceId] } : {}) })),
  };
  if (keys.master_keys[userId]) out.master_key = keys.master_keys[userId];
  if (keys.self_signing_keys[userId]) out.self_signing_key = keys.self_signing_keys[userId];
  return out;
}

// ---- Receiving --------------------------------------------------------------------------------

export interface DeviceUpdate {
  deviceId: string;
  streamId: number;
  prevIds: number[];
  deleted: boolean;
  /** Canonical JSON of the device keys; null for a device without keys. */
  keyJson: string | null;
}

const fromOrigin = (origin: string, userId: unknown): userId is string => typeof userId === 'string' && serverNameOf(userId) === origin;
const isStreamId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Device keys of `userId`'s device `deviceId`, as canonical JSON; undefined if they are not. */
function deviceKeyJson(keys: unknown, userId: string, deviceId: string): string | undefined {
  if (!isObject(keys) || keys.user_id !== userId || keys.device_id !== deviceId || !isObject(keys.keys)) return undefined;
  try {
    const { unsigned: _u, ...rest } = keys;
    return canonicalJson(rest);
  } catch {
    return undefined;
  }
}

/** m.device_list_update (in the Worker): checked, then handed to the remote user's object. */
export async function onDeviceListUpdate(env: Env, db: Db, origin: string, content: Record<string, unknown>): Promise<void> {
  const { user_id: userId, device_id: deviceId, stream_id: streamId } = content;
  if (!fromOrigin(origin, userId) || typeof deviceId !== 'string' || !isStreamId(streamId)) return;
  const prevIds = content.prev_id === undefined ? [] : content.prev_id;
  if (!Array.isArray(prevIds) || !prevIds.every(isStreamId)) return;
  const deleted = content.deleted === true;
  let keyJson: string | null = null;
  if (!deleted && content.keys !== undefined) {
    const json = deviceKeyJson(content.keys, userId, deviceId);
    if (json === undefined) return;
    keyJson = json;
  }
  // Only the devices of users our users share a room with are followed (spec: servers send them
  // to the servers sharing a room; anything else is not ours to keep).
  if (!(await remote.sharesRoomWithLocalUser(db, userId))) return;
  await userObject(env, userId).remoteDeviceListUpdate(userId, { deviceId, streamId, prevIds, deleted, keyJson });
}

/** m.signing_key_update (in the Worker). */
export async function onSigningKeyUpdate(env: Env, db: Db, origin: string, content: Record<string, unknown>): Promise<void> {
  const userId = content.user_id;
  if (!fromOrigin(origin, userId) || (content.master_key === undefined && content.self_signing_key === undefined)) return;
  if (!(await remote.sharesRoomWithLocalUser(db, userId))) return;
  await userObject(env, userId).remoteSigningKeyUpdate(userId, { master_key: content.master_key, self_signing_key: content.self_signing_key });
}

/** Our users who share a room with the remote user learn of the change at `pos`. */
async function announce(scope: UserScope, pos: number): Promise<void> {
  const ours = config(scope.env).serverName;
  const mates = (await roomMates(scope.db, scope.userId)).filter((u) => serverNameOf(u) === ours);
  await wakeUsers(scope.env, mates, { m: pos });
}

/** In the remote user's object: one device update, applied on top of what we have, or a resync. */
export async function applyDeviceUpdate(scope: UserScope, u: DeviceUpdate): Promise<void> {
  const { userId } = scope;
  const tracked = await remote.trackedStreamId(scope.db, userId);
  if (tracked !== undefined && u.streamId <= tracked) return; // seen already
  // It follows on from what we have only when every update it builds on is the last one we applied.
  const follows = tracked !== undefined && u.prevIds.length > 0 && u.prevIds.every((p) => p === tracked);
  if (!follows) return resync(scope);
  const pos = await scope.db.transaction(async (tx) => {
    if (u.deleted) await remote.deleteRemoteDevice(tx, userId, u.deviceId);
    else await remote.putRemoteDevice(tx, userId, u.deviceId, u.keyJson);
    await remote.setStreamId(tx, userId, u.streamId);
    return q.insertDeviceListChange(tx, userId);
  });
  await announce(scope, pos);
}

/** Master and self-signing keys of a remote user, the latter only when the master key signed it. */
async function checkedCrossSigning(scope: UserScope, masterRaw: unknown, selfRaw: unknown): Promise<{ master?: CrossSigningKey; self?: CrossSigningKey }> {
  const parse = (raw: unknown, usage: 'master' | 'self_signing') => {
    if (raw === undefined || raw === null) return undefined;
    try {
      return checkCrossSigningKey(raw, scope.userId, usage);
    } catch (e) {
      if (e instanceof MatrixError) return undefined;
      throw e;
    }
  };
  const master = parse(masterRaw, 'master');
  let self = parse(selfRaw, 'self_signing');
  if (self) {
    const masterKey = master?.publicKey ?? (await q.crossSigningKeysOf(scope.db, scope.userId)).get('master')?.publicKey;
    if (!masterKey || !(await hasValidSignature(self.json, scope.userId, `ed25519:${masterKey}`, masterKey))) self = undefined;
  }
  return { master, self };
}

/** In the remote user's object: new cross-signing keys. */
export async function applySigningKeyUpdate(scope: UserScope, update: { master_key?: unknown; self_signing_key?: unknown }): Promise<void> {
  const { master, self } = await checkedCrossSigning(scope, update.master_key, update.self_signing_key);
  if (!master && !self) return;
  const pos = await scope.db.transaction(async (tx) => {
    if (master) await remote.putRemoteCrossSigningKey(tx, scope.userId, 'master', master.publicKey, master.canonical);
    if (self) await remote.putRemoteCrossSigningKey(tx, scope.userId, 'self_signing', self.publicKey, self.canonical);
    return q.insertDeviceListChange(tx, scope.userId);
  });
  await announce(scope, pos);
}

/**
 * Fetches the whole device list again from the user's server. When that fails, the list stops
 * being followed: /keys/query then asks the server directly, and the next update resyncs.
 */
export async function resync(scope: UserScope): Promise<void> {
  const { userId } = scope;
  const server = serverNameOf(userId)!;
  let res: Record<string, unknown>;
  try {
    res = await federationRequest(scope.env, server, 'GET', `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`);
    if (res.user_id !== userId || !isStreamId(res.stream_id) || !Array.isArray(res.devices)) throw new Error('malformed answer');
  } catch (e) {
    console.warn(`[federation] cannot resync the devices of ${userId}: ${(e as Error).message}`);
    const wasTracked = (await remote.trackedStreamId(scope.db, userId)) !== undefined;
    if (!wasTracked) return;
    const pos = await scope.db.transaction(async (tx) => {
      await remote.untrack(tx, userId);
      return q.insertDeviceListChange(tx, userId);
    });
    await announce(scope, pos);
    return;
  }
  const devices: { deviceId: string; keyJson: string | null }[] = [];
  for (const d of res.devices as unknown[]) {
    if (!isObject(d) || typeof d.device_id !== 'string') continue;
    devices.push({ deviceId: d.device_id, keyJson: d.keys === undefined ? null : (deviceKeyJson(d.keys, userId, d.device_id) ?? null) });
  }
  const { master, self } = await checkedCrossSigning(scope, res.master_key, res.self_signing_key);
  const pos = await scope.db.transaction(async (tx) => {
    await remote.replaceRemoteDevices(tx, userId, devices);
    await remote.setStreamId(tx, userId, res.stream_id as number);
    if (master) await remote.putRemoteCrossSigningKey(tx, userId, 'master', master.publicKey, master.canonical);
    if (self) await remote.putRemoteCrossSigningKey(tx, userId, 'self_signing', self.publicKey, self.canonical);
    return q.insertDeviceListChange(tx, userId);
  });
  await announce(scope, pos);
}
