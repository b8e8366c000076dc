// /keys/query and /keys/claim for other servers' users (spec: client-server "Key management API",
// server-server "End-to-End Encryption"). Users whose device lists we follow are answered from
// our cache; the others are asked of their servers, in one request per server, within the client's
// `timeout`. A server that cannot answer in time is named in `failures`; what it says about users
// that are not its own is ignored.
import type { Env } from '../../config';
import type { Db } from '../../db/client';
import * as q from '../../db/queries/e2ee';
import { putRemoteCrossSigningKey, remoteDevicesOf, trackedUsers } from '../../db/queries/remote-devices';
import { canonicalJson } from '../../matrix/canonical-json';
import { MatrixError } from '../../matrix/errors';
import { serverNameOf } from '../../matrix/ids';
import { queryKeys } from '../e2ee/keys';
import { checkCrossSigningKey, isObject, withSignatures, type Json } from '../e2ee/shapes';
import { askServer } from './ask';

/** The time to wait for other servers when the client does not say (spec: 10 seconds recommended). */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface Failure {
  status: number;
  message: string;
}

const failureOf = (e: unknown): Failure => (e instanceof MatrixError ? { status: e.status, message: e.error } : { status: 500, message: String(e) });

export interface RemoteKeys {
  device_keys: Record<string, Record<string, Json>>;
  master_keys: Record<string, Json>;
  self_signing_keys: Record<string, Json>;
  failures: Record<string, Failure>;
}

/** Device keys of `userId`'s device `deviceId`, if that is what they are. */
const isDeviceKeys = (keys: unknown, userId: string, deviceId: string): keys is Json =>
  isObject(keys) && keys.user_id === userId && keys.device_id === deviceId && isObject(keys.keys);

/** A cross-signing key of `userId` for `usage`, if that is what it is. */
function crossSigningKey(value: unknown, userId: string, usage: 'master' | 'self_signing'): Json | undefined {
  try {
    return checkCrossSigningKey(value, userId, usage).json;
  } catch (e) {
    if (e instanceof MatrixError) return undefined;
    throw e;
  }
}

/** The cached keys of followed users (and the requester's own signatures of their master keys). */
async function fromCache(db: Db, requester: string, users: [string, string[]][], out: RemoteKeys): Promise<void> {
  const cross = await queryKeys(db, requester, new Map(users.map(([u]) => [u, []])));
  Object.assign(out.master_keys, cross.master_keys);
  Object.assign(out.self_signing_keys, cross.self_signing_keys);
  const wanted = new Map(users);
  for (const [u] of users) out.device_keys[u] = {};
  for (const d of await remoteDevicesOf(db, users.map(([u]) => u))) {
    const only = wanted.get(d.userId)!;
    if (d.keyJson === null || (only.length > 0 && !only.includes(d.deviceId))) continue;
    out.device_keys[d.userId][d.deviceId] = JSON.parse(d.keyJson) as Json;
  }
}

/** One server's answer for its users, checked, with the requester's signatures on master keys added. */
async function fromServer(env: Env, db: Db, requester: string, server: string, users: [string, string[]][], timeoutMs: number, out: RemoteKeys): Promise<void> {
  const res = await askServer<Record<string, unknown>>(env, server, 'POST', '/_matrix/federation/v1/user/keys/query', { device_keys: Object.fromEntries(users) }, timeoutMs);
  const asked = new Set(users.map(([u]) => u));
  const deviceKeys = isObject(res.device_keys) ? res.device_keys : {};
  for (const userId of asked) {
    const devices = deviceKeys[userId];
    if (!isObject(devices)) continue;
    out.device_keys[userId] = {};
    for (const [deviceId, keys] of Object.entries(devices)) if (isDeviceKeys(keys, userId, deviceId)) out.device_keys[userId][deviceId] = keys;
  }
  for (const [field, usage] of [['master_keys', 'master'], ['self_signing_keys', 'self_signing']] as const) {
    const keys = isObject(res[field]) ? res[field] : {};
    for (const userId of asked) {
      const key = crossSigningKey(keys[userId], userId, usage);
      if (!key) continue;
      // Kept, so that our users can sign the master key they were just shown (/keys/signatures/upload).
      const publicKey = Object.values(key.keys as Record<string, string>)[0];
      await putRemoteCrossSigningKey(db, userId, usage, publicKey, canonicalJson(key));
      if (usage === 'master') {
        const mine = (await q.signaturesOn(db, userId, [publicKey])).filter((s) => s.signerUserId === requester);
        out.master_keys[userId] = withSignatures(key, mine);
      } else out.self_signing_keys[userId] = key;
    }
  }
}

/** Keys of other servers' users, grouped by server (user → device ids, none meaning all). */
export async function queryRemoteKeys(env: Env, db: Db, requester: string, byServer: Map<string, [string, string[]][]>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RemoteKeys> {
  const out: RemoteKeys = { device_keys: {}, master_keys: {}, self_signing_keys: {}, failures: {} };
  if (byServer.size === 0) return out;
  const followed = await trackedUsers(db, [...byServer.values()].flatMap((users) => users.map(([u]) => u)));
  const cached = [...byServer.values()].flat().filter(([u]) => followed.has(u));
  await Promise.all([
    cached.length ? fromCache(db, requester, cached, out) : undefined,
    ...[...byServer].map(async ([server, users]) => {
      const ask = users.filter(([u]) => !followed.has(u));
      if (ask.length === 0) return;
      try {
        await fromServer(env, db, requester, server, ask, timeoutMs, out);
      } catch (e) {
        out.failures[server] = failureOf(e);
      }
    }),
  ]);
  return out;
}

/** One-time keys of other servers' users: server → user → device → algorithm. */
export async function claimRemoteKeys(
  env: Env,
  byServer: Map<string, Record<string, Record<string, string>>>,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<{ one_time_keys: Record<string, Record<string, Record<string, unknown>>>; failures: Record<string, Failure> }> {
  const out = { one_time_keys: {} as Record<string, Record<string, Record<string, unknown>>>, failures: {} as Record<string, Failure> };
  await Promise.all(
    [...byServer].map(async ([server, wanted]) => {
      try {
        const res = await askServer<Record<string, unknown>>(env, server, 'POST', '/_matrix/federation/v1/user/keys/claim', { one_time_keys: wanted }, timeoutMs);
        const claimed = isObject(res.one_time_keys) ? res.one_time_keys : {};
        for (const [userId, devices] of Object.entries(wanted)) {
          const got = claimed[userId];
          if (serverNameOf(userId) !== server || !isObject(got)) continue;
          for (const deviceId of Object.keys(devices)) {
            const keys = got[deviceId];
            if (isObject(keys)) (out.one_time_keys[userId] ??= {})[deviceId] = keys;
          }
        }
      } catch (e) {
        out.failures[server] = failureOf(e);
      }
    }),
  );
  return out;
}
