// Queries over end-to-end encryption: cross-signing and /keys/query, device-list changes, to-device
// messages and dehydrated devices (device, one-time and fallback keys: key-management.ts; key
// backups: key-backup.ts). Writes run in the owning user's object (src/services/e2ee/).
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
  toDevice,
  toDeviceTxns,
  userSignatureChanges,
} from '../schema';
import { takeMiscPositions } from './streams';

/** A transaction of the pooled driver. */
export type Tx = Parameters<Parameters<PooledDb['transaction']>[0]>[0];

type Rows<T> = { rows: T[] };
export const rowsOf = <T>(r: unknown) => (r as Rows<T>).rows;

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
