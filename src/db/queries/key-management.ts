// Queries of the spec's "Key management API" for a device's own keys: device keys, one-time and
// fallback keys (upload, counts for /keys/upload and /sync, claims), and which user objects keep
// those counts. Writes of a device's keys run in its user's object (src/services/e2ee/keys.ts).
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { preparedStatement } from '../prepared';
import { devices, e2eDeviceKeys, e2eFallbackKeys, e2eKeyCountReaders, e2eOneTimeKeyFloors, e2eOneTimeKeys } from '../schema';
import { rowsOf, type Tx } from './e2ee';

// ---- Counts for /keys/upload and /sync -------------------------------------------------------

/**
 * Unclaimed one-time keys of a device per algorithm. `signed_curve25519` is always present (0
 * when none are left), as Synapse answers: clients read a missing count as "unknown".
 */
export async function oneTimeKeyCounts(db: Db, userId: string, deviceId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ algorithm: e2eOneTimeKeys.algorithm, n: sql<string>`count(*)` })
    .from(e2eOneTimeKeys)
    .where(and(eq(e2eOneTimeKeys.userId, userId), eq(e2eOneTimeKeys.deviceId, deviceId)))
    .groupBy(e2eOneTimeKeys.algorithm);
  const out: Record<string, number> = { signed_curve25519: 0 };
  for (const r of rows) out[r.algorithm] = Number(r.n);
  return out;
}

/** Algorithms for which the device has a fallback key that no claim has returned yet. */
export async function unusedFallbackKeyTypes(db: Db, userId: string, deviceId: string): Promise<string[]> {
  const rows = await db
    .select({ algorithm: e2eFallbackKeys.algorithm })
    .from(e2eFallbackKeys)
    .where(and(eq(e2eFallbackKeys.userId, userId), eq(e2eFallbackKeys.deviceId, deviceId), eq(e2eFallbackKeys.used, false)))
    .orderBy(e2eFallbackKeys.algorithm);
  return rows.map((r) => r.algorithm);
}

/** Both of the above in one round trip, for /sync. */
export async function deviceKeyCounts(db: Db, userId: string, deviceId: string): Promise<{ otk: Record<string, number>; fallback: string[] }> {
  const r = await db.execute(sql`
    select 'o' as kind, algorithm, count(*) as n from ${e2eOneTimeKeys} where user_id = ${userId} and device_id = ${deviceId} group by algorithm
    union all
    select 'f', algorithm, 0 from ${e2eFallbackKeys} where user_id = ${userId} and device_id = ${deviceId} and not used`);
  const otk: Record<string, number> = { signed_curve25519: 0 };
  const fallback: string[] = [];
  for (const x of rowsOf<{ kind: string; algorithm: string; n: string }>(r)) {
    if (x.kind === 'o') otk[x.algorithm] = Number(x.n);
    else fallback.push(x.algorithm);
  }
  return { otk, fallback: fallback.sort() };
}

const pgNowMs = sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * The user's object is about to read (and keep) this device's key counts. Committed before the
 * counts are read: a claim either sees this mark once it has committed (and tells the object), or
 * committed before the counts are read (and they include it). See keyCountReaders.
 */
export async function markKeyCountsRead(db: Db, userId: string, deviceId: string): Promise<void> {
  // A device deleted meanwhile has no counts to keep (and would fail the foreign key).
  await db.execute(sql`
    insert into ${e2eKeyCountReaders} (user_id, device_id, read_ts)
    select user_id, device_id, ${pgNowMs} from ${devices} where user_id = ${userId} and device_id = ${deviceId}
    on conflict (user_id, device_id) do update set read_ts = excluded.read_ts`);
}

const readersStatement = preparedStatement<{ users: string[]; devices: string[]; withinMs: number }>(
  (p) => sql`
    select r.user_id, r.device_id from ${e2eKeyCountReaders} r
    join unnest(${p.users}::text[], ${p.devices}::text[]) as w(user_id, device_id) on w.user_id = r.user_id and w.device_id = r.device_id
    where r.read_ts > ${pgNowMs} - ${p.withinMs}::bigint`,
);

/** Of these devices, those whose counts were read within the last `withinMs`, by owner. */
export async function keyCountReaders(db: Db, devices: Pick<ClaimWanted, 'users' | 'devices'>, withinMs: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (devices.users.length === 0) return out;
  const r = await readersStatement(db, { users: devices.users, devices: devices.devices, withinMs });
  for (const x of rowsOf<{ user_id: string; device_id: string }>(r)) {
    const list = out.get(x.user_id);
    if (list) list.push(x.device_id);
    else out.set(x.user_id, [x.device_id]);
  }
  return out;
}

// ---- Device, one-time and fallback keys --------------------------------------------------------

export async function deviceExists(db: Db | Tx, userId: string, deviceId: string): Promise<boolean> {
  const rows = await db
    .select({ d: devices.deviceId })
    .from(devices)
    .where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)))
    .for('share');
  return rows.length > 0;
}

export async function deviceKeysForUpdate(tx: Tx, userId: string, deviceId: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ json: e2eDeviceKeys.keyJson })
    .from(e2eDeviceKeys)
    .where(and(eq(e2eDeviceKeys.userId, userId), eq(e2eDeviceKeys.deviceId, deviceId)))
    .for('update');
  return row?.json;
}

export async function insertDeviceKeys(tx: Tx, userId: string, deviceId: string, keyJson: string): Promise<void> {
  await tx.insert(e2eDeviceKeys).values({ userId, deviceId, keyJson });
}

/** The stored JSON of the given one-time key ids (`algorithm`, `keyId`) of a device. */
export async function existingOneTimeKeys(tx: Tx, userId: string, deviceId: string, ids: [string, string][]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const r = await tx.execute(sql`
    select k.algorithm, k.key_id, k.key_json from ${e2eOneTimeKeys} k
    join unnest(${sql.param(ids.map((i) => i[0]))}::text[], ${sql.param(ids.map((i) => i[1]))}::text[]) as w(algorithm, key_id)
      on w.algorithm = k.algorithm and w.key_id = k.key_id
    where k.user_id = ${userId} and k.device_id = ${deviceId}`);
  return new Map(rowsOf<{ algorithm: string; key_id: string; key_json: string }>(r).map((x) => [`${x.algorithm}:${x.key_id}`, x.key_json]));
}

/**
 * New one-time keys of one device (its uploads run one at a time, in its user's object). Its claim
 * floors (e2eOneTimeKeyFloors) go down to its oldest key, which also gives back to claims any key a
 * failed claim left below a floor.
 */
export async function insertOneTimeKeys(tx: Tx, userId: string, deviceId: string, rows: { algorithm: string; keyId: string; keyJson: string }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await tx.insert(e2eOneTimeKeys).values(rows.slice(i, i + 1000).map((r) => ({ userId, deviceId, ...r })));
  await tx.execute(sql`
    insert into ${e2eOneTimeKeyFloors} (user_id, device_id, algorithm, id)
    select user_id, device_id, algorithm, min(id) from ${e2eOneTimeKeys} where user_id = ${userId} and device_id = ${deviceId} group by user_id, device_id, algorithm
    on conflict (user_id, device_id, algorithm) do update set id = excluded.id`);
}

export async function fallbackKeys(tx: Tx, userId: string, deviceId: string): Promise<Map<string, { keyId: string; keyJson: string }>> {
  const rows = await tx
    .select({ algorithm: e2eFallbackKeys.algorithm, keyId: e2eFallbackKeys.keyId, keyJson: e2eFallbackKeys.keyJson })
    .from(e2eFallbackKeys)
    .where(and(eq(e2eFallbackKeys.userId, userId), eq(e2eFallbackKeys.deviceId, deviceId)));
  return new Map(rows.map((r) => [r.algorithm, { keyId: r.keyId, keyJson: r.keyJson }]));
}

/** A new fallback key for its algorithm replaces the old one and starts out unused. */
export async function putFallbackKey(tx: Tx, row: { userId: string; deviceId: string; algorithm: string; keyId: string; keyJson: string }): Promise<void> {
  await tx
    .insert(e2eFallbackKeys)
    .values({ ...row, used: false })
    .onConflictDoUpdate({
      target: [e2eFallbackKeys.userId, e2eFallbackKeys.deviceId, e2eFallbackKeys.algorithm],
      set: { keyId: row.keyId, keyJson: row.keyJson, used: false },
    });
}

/** What a claim asks for, as columns: one (user, device, algorithm) per index. */
export interface ClaimWanted {
  users: string[];
  devices: string[];
  algorithms: string[];
}

/**
 * How far (in key ids) a claim lets the taken key get ahead of its device's floor before it moves
 * the floor up: each move is a row update, each id below the taken one a dead index entry that the
 * next claims step over until vacuum.
 */
const FLOOR_STEP = 64;

const claimStatement = preparedStatement<{ users: string[]; devices: string[]; algorithms: string[] }>(
  (p) => sql`
    with req(user_id, device_id, algorithm) as (
      select * from unnest(${p.users}::text[], ${p.devices}::text[], ${p.algorithms}::text[])
    ), picked as (
      select req.user_id, req.device_id, req.algorithm, k.id from req
      left join ${e2eOneTimeKeyFloors} f on f.user_id = req.user_id and f.device_id = req.device_id and f.algorithm = req.algorithm
      cross join lateral (
        select o.id from ${e2eOneTimeKeys} o
        where o.user_id = req.user_id and o.device_id = req.device_id and o.algorithm = req.algorithm and o.id >= coalesce(f.id, 0)
        order by o.id limit 1
        for update skip locked
      ) k
    ), claimed as (
      delete from ${e2eOneTimeKeys} o using picked where o.id = picked.id
      returning o.user_id, o.device_id, o.algorithm, o.key_id, o.key_json
    ), movable as (
      -- Floors no concurrent claim is moving: the others are left as they are (never waited for).
      select f.user_id, f.device_id, f.algorithm, p.id from ${e2eOneTimeKeyFloors} f
      join picked p on p.user_id = f.user_id and p.device_id = f.device_id and p.algorithm = f.algorithm
      where p.id > f.id + ${FLOOR_STEP}
      for update of f skip locked
    ), moved as (
      update ${e2eOneTimeKeyFloors} f set id = greatest(f.id, m.id) from movable m
      where f.user_id = m.user_id and f.device_id = m.device_id and f.algorithm = m.algorithm
    ), fell_back as (
      select f.user_id, f.device_id, f.algorithm, f.key_id, f.key_json from ${e2eFallbackKeys} f
      join req on f.user_id = req.user_id and f.device_id = req.device_id and f.algorithm = req.algorithm
      where not exists (select 1 from claimed c where c.user_id = req.user_id and c.device_id = req.device_id and c.algorithm = req.algorithm)
    ), marked as (
      -- Only a key not marked yet is written (and waited for): claims of a device that has run
      -- out of one-time keys do not queue behind each other. The same key only: one uploaded
      -- meanwhile stays unused.
      update ${e2eFallbackKeys} f set used = true from fell_back b
      where f.user_id = b.user_id and f.device_id = b.device_id and f.algorithm = b.algorithm and f.key_id = b.key_id and not f.used
    ), handed as (
      select * from claimed union all select * from fell_back
    ), by_device as (
      -- The stored key JSON goes in as it is: it is the client's, and not parsed here nor in the Worker.
      select user_id, to_json(device_id)::text || ':{' || string_agg(to_json(algorithm || ':' || key_id)::text || ':' || key_json, ',') || '}' as j
      from handed group by user_id, device_id
    )
    select coalesce('{' || string_agg(u.j, ',') || '}', '{}') as json from (
      select to_json(user_id)::text || ':{' || string_agg(j, ',') || '}' as j from by_device group by user_id
    ) u`,
);

/**
 * Claims one key per (user, device, algorithm) in a single statement and answers the JSON object
 * of /keys/claim's `one_time_keys` (user → device → "algorithm:key id" → key). The oldest one-time
 * key from the device's floor on is deleted as it is returned; where none is left, the fallback
 * key is returned, marked used and kept. `for update skip locked` makes concurrent claims take
 * different keys and never the same one (invariant 5), whichever connections they run on: the
 * database is the arbiter. A claim sets a floor only to the id of the key it takes, and keys below
 * that one are taken by claims already under way (unless one fails: its key waits for the device's
 * next upload).
 */
export async function claimKeys(db: Db, wanted: ClaimWanted): Promise<string> {
  if (wanted.users.length === 0) return '{}';
  return rowsOf<{ json: string }>(await claimStatement(db, wanted))[0]!.json;
}
