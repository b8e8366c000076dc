// End-to-end encryption against a running server with the crypto Element uses
// (@matrix-org/matrix-sdk-crypto-wasm): two OlmMachines upload their keys, one queries and claims
// the other's, shares a Megolm session over to-device messages (delivered by /sync), and the other
// decrypts an m.room.encrypted event back to its plaintext.
import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const baseUrl = inject('homeserverUrl');
const client = `${baseUrl}/_matrix/client/v3`;

type Json = Record<string, any>;

async function api(method: string, path: string, token: string | undefined, body?: unknown): Promise<Json> {
  const res = await fetch(`${client}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Account {
  userId: string;
  deviceId: string;
  token: string;
  machine: sdk.OlmMachine;
  since?: string;
}

async function register(name: string): Promise<Account> {
  const username = `${name}-${Date.now().toString(36)}`;
  const challenge = await fetch(`${client}/register`, { method: 'POST', body: JSON.stringify({ username, password: 'e2ee test password' }) });
  const { session } = (await challenge.json()) as Json;
  const r = await api('POST', '/register', undefined, { username, password: 'e2ee test password', auth: { type: 'm.login.dummy', session } });
  const machine = await sdk.OlmMachine.initialize(new sdk.UserId(r.user_id), new sdk.DeviceId(r.device_id));
  return { userId: r.user_id, deviceId: r.device_id, token: r.access_token, machine };
}

let txn = 0;

/** Sends one of the machine's outgoing requests to the server, as a client's HTTP layer does. */
async function send(account: Account, request: sdk.OutgoingRequest | sdk.ToDeviceRequest | sdk.KeysClaimRequest): Promise<void> {
  const body = JSON.parse(request.body) as Json;
  let response: Json;
  switch (request.type) {
    case sdk.RequestType.KeysUpload:
      response = await api('POST', '/keys/upload', account.token, body);
      break;
    case sdk.RequestType.KeysQuery:
      response = await api('POST', '/keys/query', account.token, body);
      break;
    case sdk.RequestType.KeysClaim:
      response = await api('POST', '/keys/claim', account.token, body);
      break;
    case sdk.RequestType.ToDevice: {
      const r = request as sdk.ToDeviceRequest;
      response = await api('PUT', `/sendToDevice/${encodeURIComponent(r.event_type)}/${encodeURIComponent(r.txn_id)}`, account.token, body);
      break;
    }
    case sdk.RequestType.SignatureUpload:
      response = await api('POST', '/keys/signatures/upload', account.token, body);
      break;
    default:
      throw new Error(`unexpected request type ${request.type}`);
  }
  await account.machine.markRequestAsSent(request.id!, request.type, JSON.stringify(response));
}

async function flush(account: Account): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const requests = await account.machine.outgoingRequests();
    if (requests.length === 0) return;
    for (const r of requests) await send(account, r);
  }
}

/** One /sync, handing the E2EE parts to the machine; returns the to-device events it processed. */
async function sync(account: Account): Promise<sdk.ProcessedToDeviceEvent[]> {
  const query = account.since ? `?since=${encodeURIComponent(account.since)}&timeout=0` : '?timeout=0';
  const r = await api('GET', `/sync${query}`, account.token);
  account.since = r.next_batch;
  const lists = new sdk.DeviceLists(
    (r.device_lists?.changed ?? []).map((u: string) => new sdk.UserId(u)),
    (r.device_lists?.left ?? []).map((u: string) => new sdk.UserId(u)),
  );
  const counts = new Map<string, number>(Object.entries(r.device_one_time_keys_count ?? {}));
  const fallback = new Set<string>(r.device_unused_fallback_key_types ?? []);
  return account.machine.receiveSyncChanges(JSON.stringify(r.to_device?.events ?? []), lists, counts, fallback);
}

beforeAll(async () => {
  await sdk.initAsync();
});

describe('end-to-end encryption with matrix-sdk-crypto-wasm', () => {
  it('shares a Megolm session over to-device and decrypts a room message', async () => {
    const alice = await register('alice');
    const bob = await register('bob');

    // Each machine uploads its device keys and one-time keys.
    await flush(alice);
    await flush(bob);
    const bobKeys = await api('POST', '/keys/query', alice.token, { device_keys: { [bob.userId]: [] } });
    expect(Object.keys(bobKeys.device_keys[bob.userId])).toEqual([bob.deviceId]);
    const counts = await api('POST', '/keys/upload', bob.token, {});
    expect(counts.one_time_key_counts.signed_curve25519).toBeGreaterThan(0);

    const { room_id: roomId } = await api('POST', '/createRoom', alice.token, { preset: 'public_chat' });
    await api('POST', `/join/${encodeURIComponent(roomId)}`, bob.token, {});
    const room = new sdk.RoomId(roomId);

    // Alice learns Bob's devices, claims a one-time key, and shares a room key with him.
    await alice.machine.updateTrackedUsers([new sdk.UserId(bob.userId)]);
    await flush(alice);
    const claim = await alice.machine.getMissingSessions([new sdk.UserId(bob.userId)]);
    expect(claim).toBeTruthy();
    await send(alice, claim!);
    const before = (await api('POST', '/keys/upload', bob.token, {})).one_time_key_counts.signed_curve25519;
    expect(before).toBe(counts.one_time_key_counts.signed_curve25519 - 1);
    const shares = await alice.machine.shareRoomKey(room, [new sdk.UserId(bob.userId)], new sdk.EncryptionSettings());
    expect(shares.length).toBeGreaterThan(0);
    for (const s of shares) await send(alice, s);

    const plaintext = { msgtype: 'm.text', body: `secret ${Math.random()}` };
    const encrypted = JSON.parse(await alice.machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify(plaintext)));
    const { event_id: eventId } = await api('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.encrypted/e2ee-${txn++}`, alice.token, encrypted);

    // Bob's /sync brings the room key as an encrypted to-device message.
    await bob.machine.updateTrackedUsers([new sdk.UserId(alice.userId)]);
    await flush(bob);
    let processed: sdk.ProcessedToDeviceEvent[] = [];
    for (let i = 0; i < 20 && processed.length === 0; i++) {
      processed = await sync(bob);
      if (processed.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const decrypted = processed.filter((e): e is sdk.DecryptedToDeviceEvent => e.type === sdk.ProcessedToDeviceEventType.Decrypted);
    expect(decrypted.map((e) => JSON.parse(e.rawEvent).type)).toContain('m.room_key');

    const event = await api('GET', `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`, bob.token);
    expect(event.type).toBe('m.room.encrypted');
    const clear = await bob.machine.decryptRoomEvent(JSON.stringify(event), room, new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted));
    const result = JSON.parse(clear.event);
    expect(result.content).toEqual(plaintext);
    expect(clear.sender.toString()).toBe(alice.userId);

    // The message was acknowledged by the next sync: it is not delivered again.
    expect(await sync(bob)).toEqual([]);
  });
});
