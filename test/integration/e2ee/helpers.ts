// What an E2EE client does with its keys, done by hand: ed25519 keys that sign canonical JSON,
// device keys, one-time and fallback keys, and cross-signing keys.
import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { httpDb } from '../../../src/db/client';
import { currentHeads } from '../../../src/db/queries/streams';
import { encodeBase64 } from '../../../src/matrix/base64';
import { canonicalJsonBytes } from '../../../src/matrix/canonical-json';
import { signingKeyFromSeed, type SigningKey } from '../../../src/matrix/signing';
import { call, type Reply, type TestUser } from '../helpers/client';

export type Json = Record<string, any>;

export class Ed25519 {
  private constructor(private key: SigningKey) {}

  static async create(): Promise<Ed25519> {
    return new Ed25519(await signingKeyFromSeed(crypto.getRandomValues(new Uint8Array(32)), 'k'));
  }

  get publicKey(): string {
    return this.key.publicKeyBase64;
  }

  /** A copy of `obj` signed by `userId`'s key `keyId`, other signatures kept. */
  async sign<T extends Json>(obj: T, userId: string, keyId: string): Promise<T> {
    const { signatures, unsigned: _u, ...signed } = obj;
    const sig = encodeBase64(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, this.key.privateKey, canonicalJsonBytes(signed))));
    const all: Json = { ...(signatures ?? {}) };
    all[userId] = { ...(all[userId] ?? {}), [keyId]: sig };
    return { ...obj, signatures: all };
  }
}

/** A random 32-byte key in unpadded base64 (stands in for curve25519 keys). */
export const randomKey = () => encodeBase64(crypto.getRandomValues(new Uint8Array(32)));

export interface Device {
  user: TestUser;
  key: Ed25519;
  keys: Json;
}

/** Device keys for the user's device, self-signed. */
export async function makeDevice(user: TestUser, extra: Json = {}): Promise<Device> {
  const key = await Ed25519.create();
  const unsigned = {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${user.deviceId}`]: randomKey(), [`ed25519:${user.deviceId}`]: key.publicKey },
    ...extra,
  };
  return { user, key, keys: await key.sign(unsigned, user.userId, `ed25519:${user.deviceId}`) };
}

export function upload(user: TestUser, body: Json): Promise<Reply> {
  return call('POST', '/_matrix/client/v3/keys/upload', { token: user.token, body });
}

export async function uploadOk(user: TestUser, body: Json): Promise<Json> {
  const r = await upload(user, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** `n` signed one-time keys named `<prefix>N`. */
export async function oneTimeKeys(device: Device, n: number, prefix = 'AAAA'): Promise<Json> {
  const out: Json = {};
  for (let i = 0; i < n; i++) {
    out[`signed_curve25519:${prefix}${i}`] = await device.key.sign({ key: randomKey() }, device.user.userId, `ed25519:${device.user.deviceId}`);
  }
  return out;
}

export async function fallbackKey(device: Device, id = 'FB1'): Promise<Json> {
  return { [`signed_curve25519:${id}`]: await device.key.sign({ key: randomKey(), fallback: true }, device.user.userId, `ed25519:${device.user.deviceId}`) };
}

/** Server discovery that knows no server: other servers' users fail without any network access. */
export const NO_FEDERATION = { FEDERATION_RESOLVE: 'nowhere.test=http://127.0.0.1:9' };

export function query(user: TestUser, deviceKeys: Record<string, string[]>): Promise<Reply> {
  return call('POST', '/_matrix/client/v3/keys/query', { token: user.token, body: { device_keys: deviceKeys }, vars: NO_FEDERATION });
}

export function claim(user: TestUser, oneTimeKeys: Record<string, Record<string, string>>): Promise<Reply> {
  return call('POST', '/_matrix/client/v3/keys/claim', { token: user.token, body: { one_time_keys: oneTimeKeys }, vars: NO_FEDERATION });
}

export interface CrossSigning {
  master: Ed25519;
  selfSigning: Ed25519;
  userSigning: Ed25519;
  body: { master_key: Json; self_signing_key: Json; user_signing_key: Json };
}

/** A fresh set of cross-signing keys, the self- and user-signing keys signed by the master key. */
export async function makeCrossSigning(user: TestUser): Promise<CrossSigning> {
  const [master, selfSigning, userSigning] = await Promise.all([Ed25519.create(), Ed25519.create(), Ed25519.create()]);
  const key = (usage: string, k: Ed25519) => ({ user_id: user.userId, usage: [usage], keys: { [`ed25519:${k.publicKey}`]: k.publicKey } });
  const byMaster = (obj: Json) => master.sign(obj, user.userId, `ed25519:${master.publicKey}`);
  return {
    master,
    selfSigning,
    userSigning,
    body: {
      master_key: key('master', master),
      self_signing_key: await byMaster(key('self_signing', selfSigning)),
      user_signing_key: await byMaster(key('user_signing', userSigning)),
    },
  };
}

export function uploadCrossSigning(user: TestUser, body: Json): Promise<Reply> {
  return call('POST', '/_matrix/client/v3/keys/device_signing/upload', { token: user.token, body });
}

export function uploadSignatures(user: TestUser, body: Json): Promise<Reply> {
  return call('POST', '/_matrix/client/v3/keys/signatures/upload', { token: user.token, body });
}

/** A sync token for the current stream heads, as /sync would hand it out. */
export async function headToken(): Promise<string> {
  const h = await currentHeads(httpDb(env));
  return `s${h.e}_${h.m}_0`;
}

export function changes(user: TestUser, from: string, to: string): Promise<Reply> {
  return call('GET', `/_matrix/client/v3/keys/changes?from=${from}&to=${to}`, { token: user.token });
}

export const db = () => httpDb(env);
