// Key distribution (spec: "Key management API"): /keys/upload in the key owner's object;
// /keys/query, /keys/claim and /keys/changes in the requester's (reads, and claims that the
// database itself keeps from handing out a key twice).
import type { Db } from '../../db/client';
import * as q from '../../db/queries/e2ee';
import * as keysDb from '../../db/queries/key-management';
import { ErrCode, MatrixError, invalidParam } from '../../matrix/errors';
import type { UserScope } from '../account/scope';
import { KEY_COUNTS_MAX_AGE_MS } from '../sync/key-counts';
import { announceDeviceListChange, deviceListChanges, type StreamPoint } from './device-lists';
import { checkDeviceKeys, parseKeyMap, sameKey, signedPart, withSignatures, type Json } from './shapes';

export type { ClaimWanted } from '../../db/queries/key-management';

export interface UploadInput {
  device_keys?: unknown;
  one_time_keys?: unknown;
  fallback_keys?: unknown;
}

/**
 * POST /keys/upload for the requester's device, in one transaction. Device keys are set once:
 * the same keys again are accepted, different ones for the same device are refused.
 */
export async function uploadKeys(scope: UserScope, deviceId: string, input: UploadInput): Promise<{ one_time_key_counts: Record<string, number> }> {
  const { userId } = scope;
  const deviceKeys = input.device_keys === undefined ? undefined : await checkDeviceKeys(input.device_keys, userId, deviceId);
  const oneTime = parseKeyMap(input.one_time_keys, 'one_time_keys');
  const fallback = parseKeyMap(input.fallback_keys, 'fallback_keys');
  const perAlgorithm = new Set<string>();
  for (const k of fallback) {
    if (perAlgorithm.has(k.algorithm)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `More than one fallback key for ${k.algorithm}`);
    perAlgorithm.add(k.algorithm);
  }

  const changedAt = await scope.db.transaction(async (tx) => {
    if (!(await keysDb.deviceExists(tx, userId, deviceId))) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'This device was deleted', { soft_logout: false });
    let newDeviceKeys = false;
    if (deviceKeys !== undefined) {
      const stored = await keysDb.deviceKeysForUpdate(tx, userId, deviceId);
      if (stored === undefined) {
        await keysDb.insertDeviceKeys(tx, userId, deviceId, deviceKeys);
        newDeviceKeys = true;
      } else if (signedPart(JSON.parse(stored) as Json) !== signedPart(JSON.parse(deviceKeys) as Json)) {
        throw new MatrixError(400, ErrCode.INVALID_PARAM, 'This device already has different identity keys; a new device needs a new device id');
      }
    }

    if (oneTime.length) {
      const existing = await keysDb.existingOneTimeKeys(tx, userId, deviceId, oneTime.map((k) => [k.algorithm, k.keyId]));
      const fresh = [];
      for (const k of oneTime) {
        const old = existing.get(`${k.algorithm}:${k.keyId}`);
        if (old === undefined) fresh.push({ algorithm: k.algorithm, keyId: k.keyId, keyJson: k.json });
        else if (!sameKey(old, k.value)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `One-time key ${k.algorithm}:${k.keyId} already exists with another value`);
      }
      await keysDb.insertOneTimeKeys(tx, userId, deviceId, fresh);
    }

    if (fallback.length) {
      const current = await keysDb.fallbackKeys(tx, userId, deviceId);
      for (const k of fallback) {
        const old = current.get(k.algorithm);
        // The same key again must not make a used key unused.
        if (old && old.keyId === k.keyId && old.keyJson === k.json) continue;
        await keysDb.putFallbackKey(tx, { userId, deviceId, algorithm: k.algorithm, keyId: k.keyId, keyJson: k.json });
      }
    }
    return newDeviceKeys ? q.insertDeviceListChange(tx, userId) : undefined;
  });
  if (changedAt !== undefined) await announceDeviceListChange(scope, changedAt, { devices: [deviceId] });
  return { one_time_key_counts: await keysDb.oneTimeKeyCounts(scope.db, userId, deviceId) };
}

export interface KeysQueryResult {
  device_keys: Record<string, Record<string, Json>>;
  master_keys: Record<string, Json>;
  self_signing_keys: Record<string, Json>;
  user_signing_keys: Record<string, Json>;
}

/**
 * The keys of local users for POST /keys/query: `query` maps a user to the devices asked for
 * (none: all). Every asked user appears in device_keys, with no devices when they have none.
 */
export async function queryKeys(db: Db, requester: string, query: Map<string, string[]>): Promise<KeysQueryResult> {
  return JSON.parse(await queryKeysJson(db, requester, query)) as KeysQueryResult;
}

/**
 * queryKeys as JSON text, the form /keys/query answers with: stored keys are JSON already, so a
 * device key without signatures added by others is written as stored, not parsed and re-encoded
 * (50 devices of a query made that the route's largest CPU cost).
 */
export async function queryKeysJson(db: Db, requester: string, query: Map<string, string[]>): Promise<string> {
  const allOf: string[] = [];
  const pairs: [string, string][] = [];
  for (const [user, deviceIds] of query) {
    if (deviceIds.length === 0) allOf.push(user);
    else for (const d of new Set(deviceIds)) pairs.push([user, d]);
  }
  const rows = await q.keysForQuery(db, requester, allOf, pairs);

  const sigs = new Map<string, q.SignatureRow[]>();
  for (const s of rows.signatures) {
    const key = `${s.targetUserId}\u0000${s.targetKeyId}`;
    const list = sigs.get(key);
    if (list) list.push(s);
    else sigs.set(key, [s]);
  }
  const signed = (obj: Json, userId: string, keyId: string) => withSignatures(obj, sigs.get(`${userId}\u0000${keyId}`) ?? []);

  const devices = new Map<string, string[]>([...query.keys()].map((u) => [u, []]));
  for (const d of rows.devices) {
    const unsigned = d.displayName === null ? '{}' : JSON.stringify({ device_display_name: d.displayName });
    const extra = sigs.has(`${d.userId}\u0000${d.deviceId}`);
    // Stored device keys are a JSON object without `unsigned` (checkDeviceKeys drops it).
    const keys = extra ? JSON.stringify(signed(JSON.parse(d.keyJson) as Json, d.userId, d.deviceId)) : d.keyJson;
    devices.get(d.userId)!.push(`${JSON.stringify(d.deviceId)}:${keys.slice(0, -1)},"unsigned":${unsigned}}`);
  }
  const cross: Record<'master_keys' | 'self_signing_keys' | 'user_signing_keys', Record<string, Json>> = { master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
  for (const x of rows.crossSigning) {
    const key = JSON.parse(x.keyJson) as Json;
    if (x.keyType === 'master') cross.master_keys[x.userId] = signed(key, x.userId, x.publicKey);
    else if (x.keyType === 'self_signing') cross.self_signing_keys[x.userId] = key;
    else if (x.userId === requester) cross.user_signing_keys[x.userId] = key;
  }
  const deviceKeys = [...devices].map(([user, list]) => `${JSON.stringify(user)}:{${list.join(',')}}`).join(',');
  return `{"device_keys":{${deviceKeys}},${JSON.stringify(cross).slice(1)}`;
}

/**
 * POST /keys/claim for local users' devices: the JSON text of `one_time_keys` (see keysDb.claimKeys),
 * and those of the devices whose counts a user's object keeps (owner → device ids), so that the
 * caller tells those objects. Looked up after the claim committed, which is what makes the answer
 * complete (keysDb.markKeyCountsRead).
 */
export async function claimKeysJson(db: Db, wanted: keysDb.ClaimWanted): Promise<{ json: string; readers: Map<string, string[]> }> {
  const json = await keysDb.claimKeys(db, wanted);
  // Nothing handed out: no counts changed.
  if (json === '{}') return { json, readers: new Map() };
  // Twice the time an object trusts counts it read: room for the clocks of database and object.
  return { json, readers: await keysDb.keyCountReaders(db, wanted, 2 * KEY_COUNTS_MAX_AGE_MS) };
}

/** The (user, device, algorithm) columns of a claim's `one_time_keys`, for these users. */
export function claimWanted(oneTimeKeys: Iterable<[string, Record<string, string>]>): keysDb.ClaimWanted {
  const wanted: keysDb.ClaimWanted = { users: [], devices: [], algorithms: [] };
  for (const [userId, devices] of oneTimeKeys) {
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      wanted.users.push(userId);
      wanted.devices.push(deviceId);
      wanted.algorithms.push(algorithm);
    }
  }
  return wanted;
}

/** GET /keys/changes: the same answer /sync gives in device_lists between the two tokens. */
export function keyChanges(db: Db, userId: string, from: StreamPoint, to: StreamPoint) {
  if (from.e > to.e || from.m > to.m) throw invalidParam("'from' is after 'to'");
  return deviceListChanges(db, userId, from, to);
}
