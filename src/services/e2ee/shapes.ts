// The key objects of the spec's "End-to-End Encryption" module, checked as they arrive: device
// keys (signed by the device's own ed25519 key), one-time and fallback keys, cross-signing keys.
// A signed object is kept as canonical JSON, so what was signed comes back byte for byte.
import { decodeBase64 } from '../../matrix/base64';
import { CanonicalJsonError, canonicalJson } from '../../matrix/canonical-json';
import { ErrCode, MatrixError, badJson } from '../../matrix/errors';
import { verifyJsonSignature } from '../../matrix/signing';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

/** Signatures: user id → key id → signature. */
export function isSignatures(v: unknown): v is Record<string, Record<string, string>> {
  return isObject(v) && Object.values(v).every(isStringMap);
}

/** Canonical JSON of a client's object; an object without one (floats, huge numbers) is bad JSON. */
export function canonical(value: unknown, what: string): string {
  try {
    return canonicalJson(value);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw badJson(`Invalid ${what}: ${e.message}`);
    throw e;
  }
}

/** What a signature covers: the object without `signatures` and `unsigned`. */
export function signedPart(obj: Json): string {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  return canonical(rest, 'key');
}

/** A 32-byte ed25519 public key in unpadded base64, decoded; undefined if it is not one. */
export function ed25519Key(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const bytes = decodeBase64(text);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export const invalidSignature = (error = 'Invalid signature') => new MatrixError(400, ErrCode.INVALID_SIGNATURE, error);

/** Verifies `obj`'s signature by `userId`'s ed25519 key `keyId` (public key in base64). */
export async function hasValidSignature(obj: Json, userId: string, keyId: string, publicKey: string): Promise<boolean> {
  const key = ed25519Key(publicKey);
  return key !== undefined && verifyJsonSignature(obj, userId, keyId, key);
}

/**
 * `device_keys` of /keys/upload: the requester's own user and device, the spec's shape, and a valid
 * self-signature by the `ed25519:<device_id>` key it carries. Returns its canonical JSON.
 */
export async function checkDeviceKeys(value: unknown, userId: string, deviceId: string): Promise<string> {
  if (!isObject(value)) throw badJson("'device_keys' must be an object");
  if (value.user_id !== userId) throw badJson("'device_keys.user_id' does not match the authenticated user");
  if (value.device_id !== deviceId) throw badJson("'device_keys.device_id' does not match the authenticated device");
  if (!Array.isArray(value.algorithms) || !value.algorithms.every((a) => typeof a === 'string')) throw badJson("'device_keys.algorithms' must be a list of strings");
  if (!isStringMap(value.keys)) throw badJson("'device_keys.keys' must map key ids to strings");
  if (!isSignatures(value.signatures)) throw badJson("'device_keys.signatures' must map user ids to key ids to signatures");
  if (value.unsigned !== undefined && !isObject(value.unsigned)) throw badJson("'device_keys.unsigned' must be an object");
  for (const keyId of Object.keys(value.keys)) {
    if (!/^[^:]+:.+$/.test(keyId)) throw badJson(`Invalid key id '${keyId}': expected '<algorithm>:<device_id>'`);
  }
  const signingKeyId = `ed25519:${deviceId}`;
  const publicKey = value.keys[signingKeyId];
  if (ed25519Key(publicKey) === undefined) throw badJson(`'device_keys.keys' must hold the device's ed25519 key '${signingKeyId}'`);
  // The server keeps `unsigned` for itself (display names are added on query).
  const { unsigned: _u, ...keys } = value;
  const json = canonical(keys, 'device_keys');
  if (!(await hasValidSignature(keys, userId, signingKeyId, publicKey))) throw invalidSignature("The device keys' self-signature is invalid");
  return json;
}

export interface UploadedKey {
  algorithm: string;
  keyId: string;
  /** Canonical JSON of the key: a string, or a key object. */
  json: string;
  value: unknown;
}

/** `one_time_keys` or `fallback_keys`: `<algorithm>:<key_id>` → a key string or a signed key object. */
export function parseKeyMap(value: unknown, field: 'one_time_keys' | 'fallback_keys'): UploadedKey[] {
  if (value === undefined) return [];
  if (!isObject(value)) throw badJson(`'${field}' must be an object`);
  return Object.entries(value).map(([id, key]) => {
    const parts = id.split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw badJson(`Invalid ${field} key id '${id}': expected '<algorithm>:<key_id>'`);
    if (typeof key !== 'string') {
      if (!isObject(key) || typeof key.key !== 'string' || !isSignatures(key.signatures)) {
        throw badJson(`Invalid ${field} '${id}': a key is a string or an object with 'key' and 'signatures'`);
      }
      if (key.fallback !== undefined && typeof key.fallback !== 'boolean') throw badJson(`Invalid ${field} '${id}': 'fallback' must be a boolean`);
    }
    return { algorithm: parts[0], keyId: parts[1], json: canonical(key, field), value: key };
  });
}

/** Two uploads of one key id are the same key when they differ at most in their signatures. */
export function sameKey(storedJson: string, uploaded: unknown): boolean {
  const stored = JSON.parse(storedJson) as unknown;
  if (!isObject(stored) || !isObject(uploaded)) return canonical(stored, 'key') === canonical(uploaded, 'key');
  const { signatures: _a, ...a } = stored;
  const { signatures: _b, ...b } = uploaded;
  return canonical(a, 'key') === canonical(b, 'key');
}

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

export interface CrossSigningKey {
  json: Json;
  /** Unpadded base64 ed25519 public key; the key id is `ed25519:<publicKey>`. */
  publicKey: string;
  canonical: string;
}

/** A cross-signing key of `userId` for `usage` (spec: CrossSigningKey), without checking signatures. */
export function checkCrossSigningKey(value: unknown, userId: string, usage: CrossSigningUsage): CrossSigningKey {
  const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${usage} key: ${why}`);
  if (!isObject(value)) throw invalid('not an object');
  if (value.user_id !== userId) throw invalid('user_id is not the authenticated user');
  if (!Array.isArray(value.usage) || !value.usage.includes(usage) || !value.usage.every((u) => typeof u === 'string')) throw invalid(`usage must include "${usage}"`);
  if (!isStringMap(value.keys) || Object.keys(value.keys).length !== 1) throw invalid('keys must hold exactly one key');
  const [keyId, publicKey] = Object.entries(value.keys)[0];
  if (keyId !== `ed25519:${publicKey}` || ed25519Key(publicKey) === undefined) throw invalid("the key must be 'ed25519:<public key>': <public key>");
  if (value.signatures !== undefined && !isSignatures(value.signatures)) throw invalid('signatures must map user ids to key ids to signatures');
  return { json: value, publicKey, canonical: canonical(value, `${usage} key`) };
}

/** Adds uploaded signatures to a stored key object (a copy). */
export function withSignatures(obj: Json, sigs: { signerUserId: string; signingKeyId: string; signature: string }[]): Json {
  if (sigs.length === 0) return obj;
  const signatures: Record<string, Record<string, string>> = {};
  for (const [user, byKey] of Object.entries((obj.signatures ?? {}) as Record<string, Record<string, string>>)) signatures[user] = { ...byKey };
  for (const s of sigs) (signatures[s.signerUserId] ??= {})[s.signingKeyId] = s.signature;
  return { ...obj, signatures };
}
