// Cross-signing (spec: "Cross-signing"): a user's master, self-signing and user-signing keys,
// and the signatures made with them, all written in the signing user's object.
import * as q from '../../db/queries/e2ee';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { UserScope } from '../account/scope';
import { wakeUsers } from '../sync/wake';
import { announceDeviceListChange } from './device-lists';
import {
  canonical,
  checkCrossSigningKey,
  hasValidSignature,
  invalidSignature,
  isObject,
  isSignatures,
  signedPart,
  type CrossSigningKey,
  type CrossSigningUsage,
  type Json,
} from './shapes';

export interface CrossSigningUpload {
  master_key?: unknown;
  self_signing_key?: unknown;
  user_signing_key?: unknown;
}

const FIELDS: [keyof CrossSigningUpload, CrossSigningUsage][] = [
  ['master_key', 'master'],
  ['self_signing_key', 'self_signing'],
  ['user_signing_key', 'user_signing'],
];

/**
 * POST /keys/device_signing/upload. Keys identical to the stored ones change nothing and need no
 * authentication (the request is idempotent); a user without a master key may set up keys freely;
 * anything else replaces keys and needs user-interactive auth, reported as `needsAuth` so that the
 * Worker can run it and call again with `authenticated` (check and write happen in one step here).
 */
export async function uploadCrossSigningKeys(scope: UserScope, upload: CrossSigningUpload, authenticated: boolean): Promise<{ needsAuth?: true }> {
  const { userId } = scope;
  const stored = await q.crossSigningKeysOf(scope.db, userId);
  const changed = FIELDS.filter(([field, usage]) => upload[field] !== undefined && stored.get(usage)?.keyJson !== canonical(upload[field], field));
  if (changed.length === 0) return {};
  if (stored.has('master') && !authenticated) return { needsAuth: true };

  const uploaded = new Map<CrossSigningUsage, CrossSigningKey>();
  for (const [field, usage] of FIELDS) if (upload[field] !== undefined) uploaded.set(usage, checkCrossSigningKey(upload[field], userId, usage));
  const master = uploaded.get('master') ?? (stored.has('master') ? checkCrossSigningKey(JSON.parse(stored.get('master')!.keyJson), userId, 'master') : undefined);
  if (!master) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'No master key available');
  for (const usage of ['self_signing', 'user_signing'] as const) {
    const key = uploaded.get(usage);
    if (key && !(await hasValidSignature(key.json, userId, `ed25519:${master.publicKey}`, master.publicKey))) {
      throw invalidSignature(`The ${usage} key is not signed by the master key`);
    }
  }
  // Key ids of devices and of cross-signing keys share one namespace (spec: "Key and signature security").
  const taken = await q.existingDeviceIds(scope.db, userId, [...uploaded.values()].map((k) => k.publicKey));
  if (taken.length) throw new MatrixError(403, ErrCode.FORBIDDEN, 'Key ID in use');

  const news = await scope.db.transaction(async (tx) => {
    for (const [, usage] of changed) {
      const key = uploaded.get(usage)!;
      await q.putCrossSigningKey(tx, userId, usage, key.publicKey, key.canonical);
    }
    // Master and self-signing keys are seen by everyone who shares a room; the user-signing key only by its owner.
    const shared = changed.some(([, usage]) => usage !== 'user_signing') ? await q.insertDeviceListChange(tx, userId) : undefined;
    const own = changed.some(([, usage]) => usage === 'user_signing') ? await q.insertSignatureChanges(tx, userId, [userId]) : undefined;
    return { shared, own };
  });
  if (news.shared !== undefined) await announceDeviceListChange(scope, Math.max(news.shared, news.own ?? 0), { crossSigning: true });
  else if (news.own !== undefined) await wakeUsers(scope.env, [userId], { m: news.own });
  return {};
}

interface Failure {
  errcode: string;
  error: string;
}
type Failures = Record<string, Record<string, Failure>>;

const fail = (e: MatrixError): Failure => ({ errcode: e.errcode, error: e.error });
const notFound = (error: string) => new MatrixError(404, ErrCode.NOT_FOUND, error);
const mismatch = () => new MatrixError(400, ErrCode.INVALID_PARAM, 'The signed object does not match the stored key');

/**
 * POST /keys/signatures/upload: signatures of the user's own devices (by their self-signing key),
 * of their own master key (by their devices), and of other users' master keys (by their
 * user-signing key). Each bad signature is reported in `failures`; the others are stored.
 */
export async function uploadSignatures(scope: UserScope, body: Json): Promise<{ failures: Failures }> {
  const { userId } = scope;
  for (const [target, byKey] of Object.entries(body)) {
    if (!isObject(byKey) || !Object.values(byKey).every(isObject)) {
      throw new MatrixError(400, ErrCode.INVALID_PARAM, `Signed keys of ${target} must be objects`);
    }
  }
  const failures: Failures = {};
  const rows: q.SignatureRow[] = [];
  const mine = await q.crossSigningKeysOf(scope.db, userId);

  const own = body[userId] as Record<string, Json> | undefined;
  if (own) {
    const devices = await q.deviceKeysOfUser(scope.db, userId);
    const master = mine.get('master');
    const selfSigning = mine.get('self_signing');
    for (const [keyId, signed] of Object.entries(own)) {
      try {
        const sigs = signed.signatures;
        if (!isSignatures(sigs) || !sigs[userId]) throw invalidSignature('No signature by this user');
        if (master && keyId === master.publicKey) {
          rows.push(...(await ownMasterSignatures(userId, signed, sigs[userId], master.keyJson, devices)));
          continue;
        }
        if (!selfSigning) throw notFound('No self-signing key');
        const signingKeyId = `ed25519:${selfSigning.publicKey}`;
        if (!sigs[userId][signingKeyId]) throw invalidSignature('No signature by the self-signing key');
        const device = devices.get(keyId);
        if (device === undefined) throw notFound('Unknown device');
        if (signedPart(signed) !== signedPart(JSON.parse(device) as Json)) throw mismatch();
        if (!(await hasValidSignature(signed, userId, signingKeyId, selfSigning.publicKey))) throw invalidSignature();
        rows.push({ signerUserId: userId, signingKeyId, targetUserId: userId, targetKeyId: keyId, signature: sigs[userId][signingKeyId] });
      } catch (e) {
        if (!(e instanceof MatrixError)) throw e;
        (failures[userId] ??= {})[keyId] = fail(e);
      }
    }
  }

  const others = Object.entries(body).filter(([target]) => target !== userId) as [string, Record<string, Json>][];
  const signedUsers: string[] = [];
  if (others.length) {
    const userSigning = mine.get('user_signing');
    for (const [target, byKey] of others) {
      for (const [keyId, signed] of Object.entries(byKey)) {
        try {
          if (!userSigning) throw notFound('No user-signing key');
          // Other servers' users: the master key we keep from their server (src/services/federation/device-lists.ts).
          const master = (await q.crossSigningKeysOf(scope.db, target)).get('master');
          if (!master) throw notFound(`No master key for ${target}`);
          if (keyId !== master.publicKey) throw notFound('Only the master key of another user can be signed');
          const signingKeyId = `ed25519:${userSigning.publicKey}`;
          const sigs = signed.signatures;
          if (!isSignatures(sigs) || !sigs[userId]?.[signingKeyId]) throw invalidSignature('No signature by the user-signing key');
          if (signedPart(signed) !== signedPart(JSON.parse(master.keyJson) as Json)) throw mismatch();
          if (!(await hasValidSignature(signed, userId, signingKeyId, userSigning.publicKey))) throw invalidSignature();
          rows.push({ signerUserId: userId, signingKeyId, targetUserId: target, targetKeyId: keyId, signature: sigs[userId][signingKeyId] });
          signedUsers.push(target);
        } catch (e) {
          if (!(e instanceof MatrixError)) throw e;
          (failures[target] ??= {})[keyId] = fail(e);
        }
      }
    }
  }

  if (rows.length) {
    const ownChanged = rows.some((r) => r.targetUserId === userId);
    const news = await scope.db.transaction(async (tx) => {
      await q.putSignatures(tx, rows);
      return {
        shared: ownChanged ? await q.insertDeviceListChange(tx, userId) : undefined,
        signer: signedUsers.length ? await q.insertSignatureChanges(tx, userId, signedUsers) : undefined,
      };
    });
    if (news.shared !== undefined) {
      const own = rows.filter((r) => r.targetUserId === userId);
      const masterSigned = own.some((r) => r.targetKeyId === mine.get('master')?.publicKey);
      const devices = [...new Set(own.map((r) => r.targetKeyId).filter((k) => k !== mine.get('master')?.publicKey))];
      await announceDeviceListChange(scope, Math.max(news.shared, news.signer ?? 0), { devices, crossSigning: masterSigned });
    } else if (news.signer !== undefined) await wakeUsers(scope.env, [userId], { m: news.signer });
  }
  return { failures };
}

/** Signatures of the user's master key by their own devices, each checked with the device's key. */
async function ownMasterSignatures(userId: string, signed: Json, sigs: Record<string, string>, masterJson: string, devices: Map<string, string>): Promise<q.SignatureRow[]> {
  const stored = JSON.parse(masterJson) as Json;
  if (signedPart(signed) !== signedPart(stored)) throw mismatch();
  const already = ((stored.signatures ?? {}) as Record<string, Record<string, string>>)[userId] ?? {};
  const out: q.SignatureRow[] = [];
  for (const [signingKeyId, signature] of Object.entries(sigs)) {
    if (already[signingKeyId] === signature) continue; // e.g. the master key's own signature, sent back
    const deviceId = signingKeyId.startsWith('ed25519:') ? signingKeyId.slice('ed25519:'.length) : undefined;
    const device = deviceId === undefined ? undefined : devices.get(deviceId);
    const publicKey = device === undefined ? undefined : ((JSON.parse(device) as { keys: Record<string, string> }).keys[signingKeyId] ?? undefined);
    if (publicKey === undefined) throw invalidSignature(`Unknown signing device ${signingKeyId}`);
    if (!(await hasValidSignature({ ...signed, signatures: { [userId]: { [signingKeyId]: signature } } }, userId, signingKeyId, publicKey))) throw invalidSignature();
    out.push({ signerUserId: userId, signingKeyId, targetUserId: userId, targetKeyId: (Object.values(stored.keys as Record<string, string>))[0], signature });
  }
  return out;
}
