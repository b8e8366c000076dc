// End-to-end encryption against a running server with the crypto Element uses
// (@matrix-org/matrix-sdk-crypto-wasm): two OlmMachines upload their keys, one queries and claims
// the other's, shares a Megolm session over to-device messages (delivered by /sync), and the other
// decrypts an m.room.encrypted event back to its plaintext.
import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { accountApi, flush, registerOlm, sendOutgoing, syncOnce, decrypt, type OlmAccount } from './lib/olm';

const baseUrl = inject('homeserverUrl');

let txn = 0;

beforeAll(async () => {
  await sdk.initAsync();
});

describe('end-to-end encryption with matrix-sdk-crypto-wasm', () => {
  it('shares a Megolm session over to-device and decrypts a room message', async () => {
    const alice: OlmAccount = await registerOlm(baseUrl, 'alice');
    const bob: OlmAccount = await registerOlm(baseUrl, 'bob');

    // Each machine uploads its device keys and one-time keys.
    await flush(alice);
    await flush(bob);
    const bobKeys = await accountApi(alice, 'POST', '/keys/query', { device_keys: { [bob.userId]: [] } });
    expect(Object.keys(bobKeys.device_keys[bob.userId])).toEqual([bob.deviceId]);
    const counts = await accountApi(bob, 'POST', '/keys/upload', {});
    expect(counts.one_time_key_counts.signed_curve25519).toBeGreaterThan(0);

    const { room_id: roomId } = await accountApi(alice, 'POST', '/createRoom', { preset: 'public_chat' });
    await accountApi(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    const room = new sdk.RoomId(roomId);

    // Alice learns Bob's devices, claims a one-time key, and shares a room key with him.
    await alice.machine.updateTrackedUsers([new sdk.UserId(bob.userId)]);
    await flush(alice);
    const claim = await alice.machine.getMissingSessions([new sdk.UserId(bob.userId)]);
    expect(claim).toBeTruthy();
    await sendOutgoing(alice, claim!);
    const before = (await accountApi(bob, 'POST', '/keys/upload', {})).one_time_key_counts.signed_curve25519;
    expect(before).toBe(counts.one_time_key_counts.signed_curve25519 - 1);
    const shares = await alice.machine.shareRoomKey(room, [new sdk.UserId(bob.userId)], new sdk.EncryptionSettings());
    expect(shares.length).toBeGreaterThan(0);
    for (const s of shares) await sendOutgoing(alice, s);

    const plaintext = { msgtype: 'm.text', body: `secret ${Math.random()}` };
    const encrypted = JSON.parse(await alice.machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify(plaintext)));
    const { event_id: eventId } = await accountApi(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.encrypted/e2ee-${txn++}`, encrypted);

    // Bob's /sync brings the room key as an encrypted to-device message.
    await bob.machine.updateTrackedUsers([new sdk.UserId(alice.userId)]);
    await flush(bob);
    let processed: sdk.ProcessedToDeviceEvent[] = [];
    for (let i = 0; i < 20 && processed.length === 0; i++) {
      processed = await syncOnce(bob);
      if (processed.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const decrypted = processed.filter((e): e is sdk.DecryptedToDeviceEvent => e.type === sdk.ProcessedToDeviceEventType.Decrypted);
    expect(decrypted.map((e) => JSON.parse(e.rawEvent).type)).toContain('m.room_key');

    const event = await accountApi(bob, 'GET', `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`);
    expect(event.type).toBe('m.room.encrypted');
    const clear = await decrypt(bob, roomId, event);
    expect(clear.content).toEqual(plaintext);
    expect(clear.sender).toBe(alice.userId);

    // The message was acknowledged by the next sync: it is not delivered again.
    expect(await syncOnce(bob)).toEqual([]);
  });
});
