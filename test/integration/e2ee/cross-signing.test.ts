// /keys/device_signing/upload and /keys/signatures/upload (spec: "Cross-signing").
import { describe, expect, it } from 'vitest';
import { call, login, registerUser, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { makeCrossSigning, makeDevice, query, uploadCrossSigning, uploadOk, uploadSignatures, type Json } from './helpers';

const DEVICE_SIGNING = 'POST /_matrix/client/v3/keys/device_signing/upload';
const SIGNATURES = 'POST /_matrix/client/v3/keys/signatures/upload';

function withPassword(user: TestUser, body: Json, session: string, password = user.password): Json {
  return { ...body, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password, session } };
}

describe('POST /keys/device_signing/upload', () => {
  it('sets up cross-signing without authentication, and accepts the same keys again', async () => {
    const alice = await registerUser();
    const cs = await makeCrossSigning(alice);
    const first = await uploadCrossSigning(alice, cs.body);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectSpec(DEVICE_SIGNING, 200, first.body);
    const again = await uploadCrossSigning(alice, cs.body);
    expect(again.status).toBe(200);
    const justMaster = await uploadCrossSigning(alice, { master_key: cs.body.master_key });
    expect(justMaster.status).toBe(200);

    const own = await query(alice, { [alice.userId]: [] });
    expectSpec('POST /_matrix/client/v3/keys/query', 200, own.body);
    expect(own.body.master_keys[alice.userId]).toEqual(cs.body.master_key);
    expect(own.body.self_signing_keys[alice.userId]).toEqual(cs.body.self_signing_key);
    expect(own.body.user_signing_keys[alice.userId]).toEqual(cs.body.user_signing_key);
  });

  it("never returns another user's user-signing key", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const cs = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, cs.body)).status).toBe(200);
    const r = await query(bob, { [alice.userId]: [], [bob.userId]: [] });
    expect(r.body.master_keys[alice.userId]).toEqual(cs.body.master_key);
    expect(r.body.self_signing_keys[alice.userId]).toEqual(cs.body.self_signing_key);
    expect(r.body.user_signing_keys).toEqual({});
  });

  it('refuses to replace keys without user-interactive auth, and replaces them with the password', async () => {
    const alice = await registerUser();
    const old = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, old.body)).status).toBe(200);
    const fresh = await makeCrossSigning(alice);

    const challenge = await uploadCrossSigning(alice, fresh.body);
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    // A new self-signing key alone is a replacement too.
    const partial = await uploadCrossSigning(alice, { self_signing_key: fresh.body.self_signing_key });
    expect(partial.status).toBe(401);

    const wrong = await uploadCrossSigning(alice, withPassword(alice, fresh.body, challenge.body.session, 'not the password'));
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    expect((await query(alice, { [alice.userId]: [] })).body.master_keys[alice.userId]).toEqual(old.body.master_key);

    const ok = await uploadCrossSigning(alice, withPassword(alice, fresh.body, challenge.body.session));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await query(alice, { [alice.userId]: [] })).body.master_keys[alice.userId]).toEqual(fresh.body.master_key);
  });

  it('refuses keys that are not signed by the master key, or malformed, or without a master key', async () => {
    const alice = await registerUser();
    const cs = await makeCrossSigning(alice);
    const other = await makeCrossSigning(alice);
    const refused = async (body: Json, status: number, errcode: string) => {
      const r = await uploadCrossSigning(alice, body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.errcode).toBe(errcode);
    };
    await refused({ self_signing_key: cs.body.self_signing_key }, 400, 'M_MISSING_PARAM');
    await refused({ master_key: cs.body.master_key, self_signing_key: other.body.self_signing_key }, 400, 'M_INVALID_SIGNATURE');
    await refused({ master_key: cs.body.master_key, user_signing_key: other.body.user_signing_key }, 400, 'M_INVALID_SIGNATURE');
    await refused({ master_key: { ...cs.body.master_key, user_id: '@someone:test.local' } }, 400, 'M_INVALID_PARAM');
    await refused({ master_key: { ...cs.body.master_key, usage: ['self_signing'] } }, 400, 'M_INVALID_PARAM');
    await refused({ master_key: { ...cs.body.master_key, keys: { 'ed25519:abc': 'def' } } }, 400, 'M_INVALID_PARAM');
    // Nothing was stored, so a first upload still needs no authentication.
    expect((await uploadCrossSigning(alice, cs.body)).status).toBe(200);
  });

  it('refuses a cross-signing key whose id is one of the user\'s device ids', async () => {
    const alice = await registerUser();
    const cs = await makeCrossSigning(alice);
    const r = await login(alice, { device_id: cs.master.publicKey });
    expect(r.status).toBe(200);
    const refused = await uploadCrossSigning(alice, cs.body);
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe('M_FORBIDDEN');
  });

  it('is not open to guests or anonymous callers', async () => {
    const r = await call('POST', '/_matrix/client/v3/keys/device_signing/upload', { body: {} });
    expect(r.status).toBe(401);
  });
});

describe('POST /keys/signatures/upload', () => {
  async function setUp() {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    await uploadOk(alice, { device_keys: device.keys });
    const cs = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, cs.body)).status).toBe(200);
    return { alice, device, cs };
  }

  it("stores a self-signing signature of the user's device and a device signature of their master key", async () => {
    const { alice, device, cs } = await setUp();
    const signedDevice = await cs.selfSigning.sign(device.keys, alice.userId, `ed25519:${cs.selfSigning.publicKey}`);
    const signedMaster = await device.key.sign(cs.body.master_key, alice.userId, `ed25519:${alice.deviceId}`);
    const r = await uploadSignatures(alice, { [alice.userId]: { [alice.deviceId]: signedDevice, [cs.master.publicKey]: signedMaster } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(SIGNATURES, 200, r.body);
    expect(r.body.failures).toEqual({});

    const bob = await registerUser();
    const seen = await query(bob, { [alice.userId]: [] });
    expect(seen.body.device_keys[alice.userId][alice.deviceId].signatures).toEqual(signedDevice.signatures);
    expect(seen.body.master_keys[alice.userId].signatures).toEqual(signedMaster.signatures);
  });

  it('reports each bad signature in failures and stores the good ones', async () => {
    const { alice, device, cs } = await setUp();
    const bob = await registerUser();
    const signedDevice = await cs.selfSigning.sign(device.keys, alice.userId, `ed25519:${cs.selfSigning.publicKey}`);
    const forged = await cs.userSigning.sign(device.keys, alice.userId, `ed25519:${cs.selfSigning.publicKey}`);
    const tampered = { ...signedDevice, algorithms: ['m.megolm.v1.aes-sha2'] };
    const r = await uploadSignatures(alice, {
      [alice.userId]: { [alice.deviceId]: forged, NOSUCHDEVICE: { ...forged, device_id: 'NOSUCHDEVICE' } },
      [bob.userId]: { somekey: { user_id: bob.userId } },
      '@carol:remote.example': { somekey: { user_id: '@carol:remote.example' } },
    });
    expect(r.status).toBe(200);
    expectSpec(SIGNATURES, 200, r.body);
    expect(r.body.failures[alice.userId][alice.deviceId].errcode).toBe('M_INVALID_SIGNATURE');
    expect(r.body.failures[alice.userId].NOSUCHDEVICE.errcode).toBe('M_NOT_FOUND');
    expect(r.body.failures[bob.userId].somekey.errcode).toBe('M_NOT_FOUND'); // Bob has no master key
    expect(r.body.failures['@carol:remote.example'].somekey.errcode).toBe('M_NOT_FOUND');

    const mismatch = await uploadSignatures(alice, { [alice.userId]: { [alice.deviceId]: await cs.selfSigning.sign(tampered, alice.userId, `ed25519:${cs.selfSigning.publicKey}`) } });
    expect(mismatch.body.failures[alice.userId][alice.deviceId].errcode).toBe('M_INVALID_PARAM');

    const good = await uploadSignatures(alice, { [alice.userId]: { [alice.deviceId]: signedDevice } });
    expect(good.body.failures).toEqual({});
    expect((await query(bob, { [alice.userId]: [] })).body.device_keys[alice.userId][alice.deviceId].signatures).toEqual(signedDevice.signatures);
  });

  it("lets a user sign another user's master key with their user-signing key, visible to the signer only", async () => {
    const { alice, cs } = await setUp();
    const bob = await registerUser();
    const bobCs = await makeCrossSigning(bob);
    expect((await uploadCrossSigning(bob, bobCs.body)).status).toBe(200);
    const carol = await registerUser();

    const signed = await cs.userSigning.sign(bobCs.body.master_key, alice.userId, `ed25519:${cs.userSigning.publicKey}`);
    const r = await uploadSignatures(alice, { [bob.userId]: { [bobCs.master.publicKey]: signed } });
    expect(r.status).toBe(200);
    expect(r.body.failures).toEqual({});

    const aliceView = await query(alice, { [bob.userId]: [] });
    expect(aliceView.body.master_keys[bob.userId].signatures[alice.userId]).toEqual(signed.signatures[alice.userId]);
    for (const viewer of [bob, carol]) {
      const view = await query(viewer, { [bob.userId]: [] });
      expect(view.body.master_keys[bob.userId]).toEqual(bobCs.body.master_key);
    }

    // Only the master key of another user can be signed, and only by the user-signing key.
    const notMaster = await uploadSignatures(alice, { [bob.userId]: { [bobCs.selfSigning.publicKey]: signed } });
    expect(notMaster.body.failures[bob.userId][bobCs.selfSigning.publicKey].errcode).toBe('M_NOT_FOUND');
    const bySelfSigning = await cs.selfSigning.sign(bobCs.body.master_key, alice.userId, `ed25519:${cs.selfSigning.publicKey}`);
    const wrongKey = await uploadSignatures(alice, { [bob.userId]: { [bobCs.master.publicKey]: bySelfSigning } });
    expect(wrongKey.body.failures[bob.userId][bobCs.master.publicKey].errcode).toBe('M_INVALID_SIGNATURE');
  });

  it('refuses a body whose signed keys are not objects', async () => {
    const { alice } = await setUp();
    const r = await uploadSignatures(alice, { [alice.userId]: { [alice.deviceId]: 'not an object' } });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_INVALID_PARAM');
  });
});
