// End-to-end encryption key management (spec: "Key management API" and "Cross-signing"):
// /keys/upload, /keys/query, /keys/claim, /keys/changes, /keys/device_signing/upload and
// /keys/signatures/upload. Other servers' users are asked of their servers (or answered from the
// device lists we follow), and servers that cannot answer are reported in `failures`.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { requireAuth, userObject } from '../../http/auth';
import { body, jsonObject } from '../../http/body';
import { jsonText } from '../../http/json-text';
import type { AppEnv, Ctx } from '../../http/context';
import { badJson, missingParam } from '../../http/errors';
import { checkUserId, serverNameOf } from '../../matrix/ids';
import { finishUia, requireUia } from '../../services/auth/uia';
import { claimRemoteKeys, DEFAULT_TIMEOUT_MS, queryRemoteKeys } from '../../services/federation/user-keys';
import { claimWanted, type KeysQueryResult } from '../../services/e2ee/keys';
import { parseSyncToken } from '../../services/sync/token';

export const e2eKeys = new Hono<AppEnv>();

/** Splits user ids into this server's and other servers' (by server); drops invalid ones. */
function byServer<T>(c: Ctx, entries: [string, T][]): { local: [string, T][]; remote: Map<string, [string, T][]> } {
  const own = c.get('config').serverName;
  const local: [string, T][] = [];
  const remote = new Map<string, [string, T][]>();
  for (const [userId, value] of entries) {
    // As Synapse: an invalid user id is like a user without keys, not an error.
    if (checkUserId(userId) !== null) continue;
    const server = serverNameOf(userId)!;
    if (server === own) local.push([userId, value]);
    else {
      let list = remote.get(server);
      if (!list) remote.set(server, (list = []));
      list.push([userId, value]);
    }
  }
  return { local, remote };
}

e2eKeys.post('/keys/upload', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const req = await jsonObject(c);
  if (req.device_keys === null) throw badJson("'device_keys' must be an object when present");
  const input = { device_keys: req.device_keys, one_time_keys: req.one_time_keys ?? undefined, fallback_keys: req.fallback_keys ?? undefined };
  return c.json(await userObject(c.env, r.userId).uploadKeys(r.userId, r.deviceId, input));
});

/** How long other servers are waited for, in milliseconds (at most a minute). */
const timeout = z.number().int().optional();
const timeoutMs = (t: number | undefined) => Math.max(0, Math.min(t ?? DEFAULT_TIMEOUT_MS, 60_000));

const queryBody = z.object({
  device_keys: z.record(z.string(), z.array(z.string())),
  timeout,
});

e2eKeys.post('/keys/query', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const req = await body(c, queryBody);
  const { local, remote } = byServer(c, Object.entries(req.device_keys));
  const localKeys = userObject(c.env, r.userId).queryKeys(r.userId, local);
  // Only this server's users (the usual case): the object's JSON text is the answer as it is.
  if (remote.size === 0) return jsonText(c, `${(await localKeys).slice(0, -1)},"failures":{}}`);
  const [text, others] = await Promise.all([localKeys, queryRemoteKeys(c.env, httpDb(c.env), r.userId, remote, timeoutMs(req.timeout))]);
  const result = JSON.parse(text) as KeysQueryResult;
  return c.json({
    device_keys: { ...result.device_keys, ...others.device_keys },
    master_keys: { ...result.master_keys, ...others.master_keys },
    self_signing_keys: { ...result.self_signing_keys, ...others.self_signing_keys },
    user_signing_keys: result.user_signing_keys,
    failures: others.failures,
  });
});

const claimBody = z.object({
  one_time_keys: z.record(z.string(), z.record(z.string(), z.string())),
  timeout,
});

e2eKeys.post('/keys/claim', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const req = await body(c, claimBody);
  const { local, remote } = byServer(c, Object.entries(req.one_time_keys));
  const wanted = claimWanted(local);
  const localKeys = wanted.users.length ? userObject(c.env, r.userId).claimKeys(r.userId, wanted) : Promise.resolve('{}');
  // Only this server's users: the object's JSON text goes out as it is.
  if (remote.size === 0) return jsonText(c, `{"one_time_keys":${await localKeys},"failures":{}}`);
  const remoteKeys = claimRemoteKeys(c.env, new Map([...remote].map(([server, users]) => [server, Object.fromEntries(users)])), timeoutMs(req.timeout));
  const [text, others] = await Promise.all([localKeys, remoteKeys]);
  return c.json({ one_time_keys: { ...(JSON.parse(text) as Record<string, unknown>), ...others.one_time_keys }, failures: others.failures });
});

e2eKeys.get('/keys/changes', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const from = c.req.query('from');
  const to = c.req.query('to');
  if (from === undefined) throw missingParam("Missing 'from' parameter");
  if (to === undefined) throw missingParam("Missing 'to' parameter");
  const f = parseSyncToken(from);
  const t = parseSyncToken(to);
  return c.json(await userObject(c.env, r.userId).keyChanges(r.userId, { e: f.e, m: f.m }, { e: t.e, m: t.m }));
});

e2eKeys.post('/keys/device_signing/upload', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await jsonObject(c);
  const upload = { master_key: req.master_key, self_signing_key: req.self_signing_key, user_signing_key: req.user_signing_key };
  const user = userObject(c.env, r.userId);
  // Replacing existing keys needs the password; setting them up, or sending the same keys again, does not.
  const first = await user.uploadCrossSigningKeys(r.userId, upload, false);
  if (first.needsAuth) {
    const spec = { operation: 'POST /keys/device_signing/upload', flows: [['m.login.password' as const]], userId: r.userId, serverName: c.get('config').serverName };
    const uia = await requireUia(c.env, spec, req.auth);
    await user.uploadCrossSigningKeys(r.userId, upload, true);
    await finishUia(c.env, uia.sessionId);
  }
  return c.json({});
});

e2eKeys.post('/keys/signatures/upload', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).uploadSignatures(r.userId, await jsonObject(c)));
});
