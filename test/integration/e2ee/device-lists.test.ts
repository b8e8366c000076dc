// Device-list tracking: who learns of whose device changes (spec: "Tracking the device list for a
// user"), through GET /keys/changes, which answers with the function /sync uses for device_lists.
import { describe, expect, it } from 'vitest';
import { deviceListChanges } from '../../../src/services/e2ee/device-lists';
import { parseSyncToken } from '../../../src/services/sync/token';
import { call, login, registerUser, type TestUser } from '../helpers/client';
import { createRoom, join, leave } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { Ed25519, changes, db, headToken, makeCrossSigning, makeDevice, uploadCrossSigning, uploadOk, uploadSignatures } from './helpers';

/** `viewer`'s changes since `from`, checked against the spec and against the function /sync calls. */
async function changedSince(viewer: TestUser, from: string): Promise<{ changed: string[]; left: string[] }> {
  const to = await headToken();
  const r = await changes(viewer, from, to);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/keys/changes', 200, r.body);
  const direct = await deviceListChanges(db(), viewer.userId, parseSyncToken(from), parseSyncToken(to));
  expect({ changed: [...r.body.changed].sort(), left: [...r.body.left].sort() }).toEqual({ changed: direct.changed.sort(), left: direct.left.sort() });
  return r.body;
}

async function sharedRoom(...users: TestUser[]): Promise<string> {
  const roomId = await createRoom(users[0], { preset: 'public_chat' });
  for (const u of users.slice(1)) expect((await join(u, roomId)).status).toBe(200);
  return roomId;
}

describe('device-list changes', () => {
  it('tells room-mates (and the user) of new device keys, not strangers', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const stranger = await registerUser();
    await sharedRoom(alice, bob);
    const from = await headToken();
    await uploadOk(bob, { device_keys: (await makeDevice(bob)).keys });
    expect((await changedSince(alice, from)).changed).toEqual([bob.userId]);
    expect((await changedSince(bob, from)).changed).toEqual([bob.userId]);
    expect((await changedSince(stranger, from)).changed).toEqual([]);

    // One-time keys and the same device keys again are not device-list changes.
    const again = await headToken();
    await uploadOk(bob, { one_time_keys: { 'curve25519:K': 'a' } });
    expect((await changedSince(alice, again)).changed).toEqual([]);
  });

  it('counts a new device, a renamed device and a deleted device as changes', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    await sharedRoom(alice, bob);

    let from = await headToken();
    const second = await login(bob);
    expect((await changedSince(alice, from)).changed).toEqual([bob.userId]);

    from = await headToken();
    expect((await call('PUT', `/_matrix/client/v3/devices/${second.body.device_id}`, { token: bob.token, body: { display_name: 'New name' } })).status).toBe(200);
    expect((await changedSince(alice, from)).changed).toEqual([bob.userId]);

    from = await headToken();
    expect((await call('POST', '/_matrix/client/v3/logout', { token: second.body.access_token })).status).toBe(200);
    expect((await changedSince(alice, from)).changed).toEqual([bob.userId]);
  });

  it('counts cross-signing keys and signatures as changes for those allowed to see them', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const carol = await registerUser();
    await sharedRoom(alice, bob, carol);

    let from = await headToken();
    const bobCs = await makeCrossSigning(bob);
    expect((await uploadCrossSigning(bob, bobCs.body)).status).toBe(200);
    expect((await changedSince(alice, from)).changed).toEqual([bob.userId]);

    const aliceCs = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, aliceCs.body)).status).toBe(200);
    // Alice signs Bob's master key: only Alice (who can see the signature) learns of it.
    from = await headToken();
    const signed = await aliceCs.userSigning.sign(bobCs.body.master_key, alice.userId, `ed25519:${aliceCs.userSigning.publicKey}`);
    expect((await uploadSignatures(alice, { [bob.userId]: { [bobCs.master.publicKey]: signed } })).body.failures).toEqual({});
    expect((await changedSince(alice, from)).changed).toEqual([bob.userId]);
    expect((await changedSince(carol, from)).changed).toEqual([]);
    expect((await changedSince(bob, from)).changed).toEqual([]);

    // A new user-signing key concerns its owner only.
    from = await headToken();
    const usk = await Ed25519.create();
    const key = await aliceCs.master.sign({ user_id: alice.userId, usage: ['user_signing'], keys: { [`ed25519:${usk.publicKey}`]: usk.publicKey } }, alice.userId, `ed25519:${aliceCs.master.publicKey}`);
    const challenge = await uploadCrossSigning(alice, { user_signing_key: key });
    expect(challenge.status).toBe(401);
    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: alice.password, session: challenge.body.session };
    expect((await uploadCrossSigning(alice, { user_signing_key: key, auth })).status).toBe(200);
    expect((await changedSince(alice, from)).changed).toEqual([alice.userId]);
    expect((await changedSince(bob, from)).changed).toEqual([]);
  });

  it('lists users who newly share a room as changed, and users who share none any more as left', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const carol = await registerUser();
    const room = await sharedRoom(alice, bob);
    const other = await sharedRoom(alice, carol);

    let from = await headToken();
    expect((await join(carol, room)).status).toBe(200);
    // Carol already shared a room with Alice, so Carol is new only to Bob (and Bob to Carol).
    expect((await changedSince(bob, from)).changed).toEqual([carol.userId]);
    expect((await changedSince(carol, from)).changed).toEqual([bob.userId]);
    expect((await changedSince(alice, from)).changed).toEqual([]);

    from = await headToken();
    expect((await leave(carol, room)).status).toBe(200);
    expect(await changedSince(bob, from)).toEqual({ changed: [], left: [carol.userId] });
    expect(await changedSince(carol, from)).toEqual({ changed: [], left: [bob.userId] });
    expect(await changedSince(alice, from)).toEqual({ changed: [], left: [] }); // still share `other`

    from = await headToken();
    expect((await leave(alice, other)).status).toBe(200);
    expect(await changedSince(alice, from)).toEqual({ changed: [], left: [carol.userId] });

    // Joining and leaving within the window changes nothing; a device change of someone who left is not shown.
    from = await headToken();
    expect((await join(carol, room)).status).toBe(200);
    expect((await leave(carol, room)).status).toBe(200);
    await uploadOk(carol, { device_keys: (await makeDevice(carol)).keys });
    expect(await changedSince(bob, from)).toEqual({ changed: [], left: [] });
  });

  it('refuses missing, malformed or reversed tokens', async () => {
    const alice = await registerUser();
    const to = await headToken();
    const r1 = await call('GET', `/_matrix/client/v3/keys/changes?to=${to}`, { token: alice.token });
    expect(r1.status).toBe(400);
    expect(r1.body.errcode).toBe('M_MISSING_PARAM');
    const r2 = await call('GET', `/_matrix/client/v3/keys/changes?from=garbage&to=${to}`, { token: alice.token });
    expect(r2.status).toBe(400);
    expect(r2.body.errcode).toBe('M_INVALID_PARAM');
    const r3 = await changes(alice, 's999999999_999999999_0', to);
    expect(r3.status).toBe(400);
    expect(r3.body.errcode).toBe('M_INVALID_PARAM');
  });
});
