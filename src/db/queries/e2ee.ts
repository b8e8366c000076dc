// Queries over end-to-end encryption keys, cross-signing, device-list changes, to-device messages
// and dehydrated devices (key backups: key-backup.ts). Writes run in the owning user's object (src/services/e2ee/).
import { and, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db, PooledDb } from '../client';
import { preparedStatement } from '../prepared';
import {
  crossSigningKeys,
  crossSigningSignatures,
  dehydratedDevices,
  deviceListChanges,
  devices,
  e2eDeviceKeys,
  e2eFallbackKeys,
  e2eKeyCountReaders,
  e2eOneTimeKeyFloors,
  e2eOneTimeKeys,
  toDevice,
  toDeviceTxns,
  userSignatureChanges,
} from '../schema';
import { takeMiscPositions } from './streams';

/** A transaction of the pooled driver. */
export type Tx = Parameters<Parameters<PooledDb['transaction']>[0]>[0];

type Rows<T> = { rows: T[] };
export const rowsOf = <T>(r: unknown) => (r as Rows<T>).rows;

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

// ---- Cross-signing ------------------------------------------------------------------------------

export type CrossSigningType = 'master' | 'self_signing' | 'user_signing';

export async function crossSigningKeysOf(db: Db | Tx, userId: string): Promise<Map<CrossSigningType, { publicKey: string; keyJson: string }>> {
  const rows = await db.select().from(crossSigningKeys).where(eq(crossSigningKeys.userId, userId));
  return new Map(rows.map((r) => [r.keyType as CrossSigningType, { publicKey: r.publicKey, keyJson: r.keyJson }]));
}

export async function putCrossSigningKey(tx: Tx, userId: string, keyType: CrossSigningType, publicKey: string, keyJson: string): Promise<void> {
  await tx
    .insert(crossSigningKeys)
    .values({ userId, keyType, publicKey, keyJson })
    .onConflictDoUpdate({ target: [crossSigningKeys.userId, crossSigningKeys.keyType], set: { publicKey, keyJson } });
}

/** Which of `ids` are device ids of the user (cross-signing public keys must not collide with them). */
export async function existingDeviceIds(db: Db | Tx, userId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ d: devices.deviceId })
    .from(devices)
    .where(and(eq(devices.userId, userId), inArray(devices.deviceId, ids)));
  return rows.map((r) => r.d);
}

/** The user's devices that have keys, with those keys. */
export async function deviceKeysOfUser(db: Db | Tx, userId: string): Promise<Map<string, string>> {
  const rows = await db.select({ d: e2eDeviceKeys.deviceId, json: e2eDeviceKeys.keyJson }).from(e2eDeviceKeys).where(eq(e2eDeviceKeys.userId, userId));
  return new Map(rows.map((r) => [r.d, r.json]));
}

export type SignatureRow = typeof crossSigningSignatures.$inferInsert;

/** Signatures already stored on the given targets of one user. */
export async function signaturesOn(db: Db | Tx, targetUserId: string, targetKeyIds: string[]): Promise<SignatureRow[]> {
  if (targetKeyIds.length === 0) return [];
  return db
    .select()
    .from(crossSigningSignatures)
    .where(and(eq(crossSigningSignatures.targetUserId, targetUserId), inArray(crossSigningSignatures.targetKeyId, targetKeyIds)));
}

export async function putSignatures(tx: Tx, rows: SignatureRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(crossSigningSignatures)
    .values(rows)
    .onConflictDoUpdate({
      target: [crossSigningSignatures.targetUserId, crossSigningSignatures.targetKeyId, crossSigningSignatures.signerUserId, crossSigningSignatures.signingKeyId],
      set: { signature: sql`excluded.signature` },
    });
}

export interface KeyQueryRows {
  /** user → device → [display name, key JSON] */
  devices: { userId: string; deviceId: string; displayName: string | null; keyJson: string }[];
  crossSigning: { userId: string; keyType: CrossSigningType; publicKey: string; keyJson: string }[];
  signatures: SignatureRow[];
}

const keysStatement = preparedStatement<{ requester: string; allOf: string[]; pairUsers: string[]; pairDevices: string[]; users: string[] }>(
  (p) => sql`
    with wanted(user_id, device_id) as (
      select u, null::text from unnest(${p.allOf}::text[]) as u
      union all
      select * from unnest(${p.pairUsers}::text[], ${p.pairDevices}::text[])
    )
    select 'd' as kind, k.user_id as a, k.device_id as b, d.display_name as c, k.key_json as j
    from ${e2eDeviceKeys} k
    join ${devices} d on d.user_id = k.user_id and d.device_id = k.device_id
    where k.user_id = any(${p.users}::text[])
      and exists (select 1 from wanted w where w.user_id = k.user_id and (w.device_id is null or w.device_id = k.device_id))
    union all
    select 'x', x.user_id, x.key_type, x.public_key, x.key_json from ${crossSigningKeys} x
    where x.user_id = any(${p.users}::text[]) and (x.key_type <> 'user_signing' or x.user_id = ${p.requester})
    union all
    select 's', s.target_user_id, s.target_key_id, s.signer_user_id || ' ' || s.signing_key_id, s.signature from ${crossSigningSignatures} s
    where s.target_user_id = any(${p.users}::text[]) and (s.signer_user_id = s.target_user_id or s.signer_user_id = ${p.requester})`,
);

/**
 * Everything /keys/query returns for local users, in one round trip: device keys (all devices of
 * `allOf`, the listed ones of `pairs`), cross-signing keys (user-signing keys only the requester's
 * own), and the uploaded signatures the requester may see (spec: "Key and signature security"):
 * those made by the key's owner, and the requester's own signatures of others' master keys.
 */
export async function keysForQuery(db: Db, requester: string, allOf: string[], pairs: [string, string][]): Promise<KeyQueryRows> {
  const users = [...new Set([...allOf, ...pairs.map((p) => p[0])])];
  const r = await keysStatement(db, { requester, allOf, pairUsers: pairs.map((p) => p[0]), pairDevices: pairs.map((p) => p[1]), users });
  const out: KeyQueryRows = { devices: [], crossSigning: [], signatures: [] };
  for (const x of rowsOf<{ kind: string; a: string; b: string; c: string | null; j: string }>(r)) {
    if (x.kind === 'd') out.devices.push({ userId: x.a, deviceId: x.b, displayName: x.c, keyJson: x.j });
    else if (x.kind === 'x') out.crossSigning.push({ userId: x.a, keyType: x.b as CrossSigningType, publicKey: x.c!, keyJson: x.j });
    else {
      const space = x.c!.lastIndexOf(' ');
      out.signatures.push({ targetUserId: x.a, targetKeyId: x.b, signerUserId: x.c!.slice(0, space), signingKeyId: x.c!.slice(space + 1), signature: x.j });
    }
  }
  return out;
}

// ---- Device-list changes ------------------------------------------------------------------------

/** Records that the user's device list changed, at a new misc position (last step of `tx`). */
export async function insertDeviceListChange(tx: Tx, userId: string): Promise<number> {
  const [p] = await takeMiscPositions(tx);
  await tx.insert(deviceListChanges).values({ userId, streamPos: p });
  return p;
}

/** Records changes only `signerUserId` is told about (signatures of others' master keys). */
export async function insertSignatureChanges(tx: Tx, signerUserId: string, targets: string[]): Promise<number> {
  const [p] = await takeMiscPositions(tx);
  await tx.insert(userSignatureChanges).values([...new Set(targets)].map((targetUserId) => ({ signerUserId, targetUserId, streamPos: p })));
  return p;
}

/**
 * Users whose device list changed in (fromM, toM] and who currently share a joined room with
 * `userId` (or are `userId`), plus the targets of `userId`'s own signature changes.
 */
export async function changedDeviceLists(db: Db, userId: string, fromM: number, toM: number): Promise<string[]> {
  const r = await db.execute(sql`
    select distinct d.user_id from ${deviceListChanges} d
    where d.stream_pos > ${fromM} and d.stream_pos <= ${toM}
      and (d.user_id = ${userId} or exists (
        select 1 from room_memberships a join room_memberships b on b.room_id = a.room_id
        where a.user_id = ${userId} and a.membership = 'join' and b.user_id = d.user_id and b.membership = 'join'))
    union
    select target_user_id from ${userSignatureChanges}
    where signer_user_id = ${userId} and stream_pos > ${fromM} and stream_pos <= ${toM}`);
  return rowsOf<{ user_id: string }>(r).map((x) => x.user_id);
}

/**
 * Membership events in (fromE, toE] of the rooms `userId` is joined to or whose membership of
 * `userId` changed after fromE: the only places where who shares a room with them can change.
 */
export async function membershipMoves(db: Db, userId: string, fromE: number, toE: number): Promise<{ roomId: string; userId: string }[]> {
  const r = await db.execute(sql`
    select distinct e.room_id, e.state_key from room_memberships m
    join events e on e.room_id = m.room_id and e.stream_pos > ${fromE} and e.stream_pos <= ${toE}
    where m.user_id = ${userId} and (m.membership = 'join' or m.stream_pos > ${fromE})
      and e.type = 'm.room.member' and e.state_key is not null`);
  return rowsOf<{ room_id: string; state_key: string }>(r).map((x) => ({ roomId: x.room_id, userId: x.state_key }));
}

/** Everyone who may have been joined to these rooms at some point after `fromE`. */
export async function membersSince(db: Db, roomIds: string[], fromE: number): Promise<string[]> {
  const r = await db.execute(sql`
    select distinct user_id from room_memberships
    where room_id = any(${sql.param(roomIds)}::text[]) and (membership = 'join' or stream_pos > ${fromE})`);
  return rowsOf<{ user_id: string }>(r).map((x) => x.user_id);
}

export interface MembershipStep {
  roomId: string;
  userId: string;
  streamPos: number;
  /** The member event's JSON; its content.membership is read by the caller. */
  json: string;
}

/**
 * The membership history of `users` in the rooms `userId` may have shared with them since `fromE`,
 * newest first, back to the last change at or before `fromE`: walks the chain of replaced member
 * events from the current membership, so the cost follows the number of changes, not the room's size.
 */
export async function membershipHistory(db: Db, userId: string, users: string[], fromE: number): Promise<MembershipStep[]> {
  const r = await db.execute(sql`
    with recursive walk(room_id, user_id, stream_pos, replaces, json) as (
      select m.room_id, m.user_id, e.stream_pos, e.replaces_state, e.json
      from room_memberships m join events e on e.event_id = m.event_id
      where m.user_id = any(${sql.param(users)}::text[])
        and m.room_id in (select room_id from room_memberships where user_id = ${userId} and (membership = 'join' or stream_pos > ${fromE}))
      union all
      select w.room_id, w.user_id, e.stream_pos, e.replaces_state, e.json
      from walk w join events e on e.event_id = w.replaces
      where w.stream_pos > ${fromE}
    )
    select room_id, user_id, stream_pos, json from walk`);
  return rowsOf<{ room_id: string; user_id: string; stream_pos: string; json: string }>(r).map((x) => ({
    roomId: x.room_id,
    userId: x.user_id,
    streamPos: Number(x.stream_pos),
    json: x.json,
  }));
}

// ---- To-device ----------------------------------------------------------------------------------

/** How long a /sendToDevice transaction id is remembered (Synapse: 30 minutes, in memory). */
const TXN_RETENTION_MS = 24 * 3600_000;

/** Reserves a /sendToDevice transaction id; false when the device already used it. Forgets old ones. */
export async function claimToDeviceTxn(db: Db, userId: string, deviceId: string, txnId: string): Promise<boolean> {
  const now = Date.now();
  const r = await db.execute(sql`
    with forgotten as (
      delete from ${toDeviceTxns} where user_id = ${userId} and device_id = ${deviceId} and created_ts < ${now - TXN_RETENTION_MS}
    )
    insert into ${toDeviceTxns} (user_id, device_id, txn_id, created_ts) values (${userId}, ${deviceId}, ${txnId}, ${now})
    on conflict do nothing returning txn_id`);
  return rowsOf(r).length === 1;
}

export async function releaseToDeviceTxn(db: Db, userId: string, deviceId: string, txnId: string): Promise<void> {
  await db.delete(toDeviceTxns).where(and(eq(toDeviceTxns.userId, userId), eq(toDeviceTxns.deviceId, deviceId), eq(toDeviceTxns.txnId, txnId)));
}

/**
 * Puts messages in one user's inbox: `byDevice` maps a device id, or `*` for every device, to
 * the content. Messages for devices the user does not have are dropped. Returns the last misc
 * position taken, or undefined when nothing was stored.
 */
export async function storeToDevice(db: PooledDb, userId: string, sender: string, type: string, byDevice: Map<string, Record<string, unknown>>): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const existing = (await tx.select({ d: devices.deviceId }).from(devices).where(eq(devices.userId, userId))).map((r) => r.d);
    const known = new Set(existing);
    const rows: { deviceId: string; content: Record<string, unknown> }[] = [];
    for (const [deviceId, content] of byDevice) {
      if (deviceId === '*') for (const d of existing) rows.push({ deviceId: d, content });
      else if (known.has(deviceId)) rows.push({ deviceId, content });
    }
    if (rows.length === 0) return undefined;
    const positions = await takeMiscPositions(tx, rows.length);
    await tx.insert(toDevice).values(rows.map((r, i) => ({ userId, deviceId: r.deviceId, streamPos: positions[i], sender, type, content: r.content })));
    return positions[positions.length - 1];
  });
}

/** The inbox of a device that does not sync (a dehydrated device): drops up to `acked`, reads after it. */
export async function ackAndReadInbox(db: Db, userId: string, deviceId: string, acked: number, limit: number) {
  if (acked > 0) await db.delete(toDevice).where(and(eq(toDevice.userId, userId), eq(toDevice.deviceId, deviceId), lte(toDevice.streamPos, acked)));
  return db
    .select({ streamPos: toDevice.streamPos, sender: toDevice.sender, type: toDevice.type, content: toDevice.content })
    .from(toDevice)
    .where(and(eq(toDevice.userId, userId), eq(toDevice.deviceId, deviceId), gt(toDevice.streamPos, acked)))
    .orderBy(toDevice.streamPos)
    .limit(limit);
}

/**
 * What stays behind when devices go (their keys go with them, by foreign key): inboxes that can no
 * longer be read, transaction ids, and signatures that would otherwise attach to a later device
 * of the same id.
 */
export async function forgetDevices(db: Db, userId: string, deviceIds: string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await db.delete(toDevice).where(and(eq(toDevice.userId, userId), inArray(toDevice.deviceId, deviceIds)));
  await db.delete(toDeviceTxns).where(and(eq(toDeviceTxns.userId, userId), inArray(toDeviceTxns.deviceId, deviceIds)));
  await db
    .delete(crossSigningSignatures)
    .where(and(eq(crossSigningSignatures.targetUserId, userId), inArray(crossSigningSignatures.targetKeyId, deviceIds)));
}

// ---- Dehydrated devices -------------------------------------------------------------------------

export async function getDehydratedDevice(db: Db | Tx, userId: string) {
  const [row] = await db.select().from(dehydratedDevices).where(eq(dehydratedDevices.userId, userId));
  return row;
}

export async function putDehydratedDevice(tx: Tx, userId: string, deviceId: string, deviceData: string): Promise<void> {
  const createdTs = Date.now();
  await tx
    .insert(dehydratedDevices)
    .values({ userId, deviceId, deviceData, createdTs })
    .onConflictDoUpdate({ target: dehydratedDevices.userId, set: { deviceId, deviceData, createdTs } });
}

/** A device row without tokens for a dehydrated device, replacing the user's previous one (in `tx`). */
export async function replaceDehydratedDevice(tx: Tx, userId: string, oldDeviceId: string | undefined, deviceId: string, displayName: string | null): Promise<void> {
  if (oldDeviceId !== undefined) await tx.delete(devices).where(and(eq(devices.userId, userId), eq(devices.deviceId, oldDeviceId)));
  await tx.insert(devices).values({ userId, deviceId, displayName, createdTs: Date.now() });
}

export async function deleteDevice(db: Db, userId: string, deviceId: string): Promise<void> {
  await db.delete(devices).where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)));
}
