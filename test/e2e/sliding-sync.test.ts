// Simplified sliding sync against a running server, as Element X uses it. No build of
// matrix-rust-sdk (the SDK behind Element X) runs in Node: the npm registry has its crypto crate
// (@matrix-org/matrix-sdk-crypto-wasm) but no binding of the SDK itself (no
// @matrix-org/matrix-sdk-ffi or wasm build of matrix-sdk). So this test sends the requests exactly
// as matrix-rust-sdk builds them (crates/matrix-sdk-ui/src/room_list_service/mod.rs,
// encryption_sync_service.rs and crates/matrix-sdk/src/sliding_sync/: `pos`, `timeout` in the
// query string, conn_id "room-list" and "encryption", the all_rooms list going from [0, 19] to a
// growing [0, 99], the default required_state, room subscriptions with timeline_limit 20) and
// hands the encryption connection's output to the real matrix-sdk-crypto OlmMachine, which
// decrypts a Megolm message whose key came through the to_device extension.
import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { api as clientApi, type Json } from './lib/olm';

const baseUrl = inject('homeserverUrl');
const client = `${baseUrl}/_matrix/client/v3`;
const slidingSync = `${baseUrl}/_matrix/client/unstable/org.matrix.simplified_msc3575/sync`;


/** matrix-rust-sdk's DEFAULT_REQUIRED_STATE (room_list_service/mod.rs), as ruma serialises the types. */
const DEFAULT_REQUIRED_STATE: [string, string][] = [
  ['m.room.name', ''],
  ['m.room.encryption', ''],
  ['m.room.member', '$LAZY'],
  ['m.room.member', '$ME'],
  ['m.room.topic', ''],
  ['m.room.avatar', ''],
  ['m.room.canonical_alias', ''],
  ['m.room.power_levels', ''],
  ['org.matrix.msc3401.call.member', '*'],
  ['m.room.join_rules', ''],
  ['m.room.tombstone', ''],
  ['m.room.create', ''],
  ['m.room.history_visibility', ''],
  ['io.element.functional_members', ''],
  ['m.space.parent', '*'],
  ['m.space.child', '*'],
  ['org.matrix.msc3672.beacon_info', '*'],
];
const SUBSCRIPTION_REQUIRED_STATE: [string, string][] = [...DEFAULT_REQUIRED_STATE, ['m.room.pinned_events', '']];

/** A client-server request to the server under test (lib/olm.ts's helper, bound to it). */
const api = (method: string, path: string, token: string | undefined, body?: unknown): Promise<Json> => clientApi(baseUrl, method, path, token, body);

/** One sliding sync request as matrix-rust-sdk sends it: pos and timeout in the query, the rest in the body. */
async function ss(token: string, body: Json, pos?: string, timeoutMs?: number): Promise<Json> {
  const q = new URLSearchParams();
  if (pos !== undefined) q.set('pos', pos);
  if (timeoutMs !== undefined) q.set('timeout', String(timeoutMs));
  const res = await fetch(`${slidingSync}${q.size ? `?${q}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const json = (await res.json()) as Json;
  if (!res.ok) throw new Error(`sliding sync: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface Account {
  userId: string;
  deviceId: string;
  token: string;
  machine: sdk.OlmMachine;
}

async function register(name: string): Promise<Account> {
  const username = `${name}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const challenge = await fetch(`${client}/register`, { method: 'POST', body: JSON.stringify({ username, password: 'sliding sync test password' }) });
  const { session } = (await challenge.json()) as Json;
  const r = await api('POST', '/register', undefined, { username, password: 'sliding sync test password', auth: { type: 'm.login.dummy', session } });
  const machine = await sdk.OlmMachine.initialize(new sdk.UserId(r.user_id), new sdk.DeviceId(r.device_id));
  return { userId: r.user_id, deviceId: r.device_id, token: r.access_token, machine };
}

let txn = 0;

/** Sends one of the machine's outgoing requests, as the SDK's HTTP layer does. */
async function send(account: Account, request: sdk.OutgoingRequest | sdk.ToDeviceRequest | sdk.KeysClaimRequest): Promise<void> {
  const body = JSON.parse(request.body) as Json;
  const paths: Partial<Record<sdk.RequestType, [string, string]>> = {
    [sdk.RequestType.KeysUpload]: ['POST', '/keys/upload'],
    [sdk.RequestType.KeysQuery]: ['POST', '/keys/query'],
    [sdk.RequestType.KeysClaim]: ['POST', '/keys/claim'],
    [sdk.RequestType.SignatureUpload]: ['POST', '/keys/signatures/upload'],
  };
  let response: Json;
  if (request.type === sdk.RequestType.ToDevice) {
    const r = request as sdk.ToDeviceRequest;
    response = await api('PUT', `/sendToDevice/${encodeURIComponent(r.event_type)}/${encodeURIComponent(r.txn_id)}`, account.token, body);
  } else {
    const [method, path] = paths[request.type] ?? [];
    if (!method) throw new Error(`unexpected request type ${request.type}`);
    response = await api(method, path!, account.token, body);
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

/** Element X's EncryptionSyncService connection: to-device and e2ee extensions, no lists. */
class EncryptionSync {
  pos?: string;
  since?: string;
  constructor(private account: Account) {}

  /** One request, its E2EE parts handed to the OlmMachine as matrix-sdk-base does. */
  async once(timeoutMs = 0): Promise<sdk.ProcessedToDeviceEvent[]> {
    const body = { conn_id: 'encryption', extensions: { to_device: { enabled: true, ...(this.since ? { since: this.since } : {}) }, e2ee: { enabled: true } } };
    const r = await ss(this.account.token, body, this.pos, timeoutMs);
    this.pos = r.pos;
    const toDevice = r.extensions.to_device;
    this.since = toDevice.next_batch;
    const e2ee = r.extensions.e2ee;
    const lists = new sdk.DeviceLists(
      (e2ee.device_lists?.changed ?? []).map((u: string) => new sdk.UserId(u)),
      (e2ee.device_lists?.left ?? []).map((u: string) => new sdk.UserId(u)),
    );
    return this.account.machine.receiveSyncChanges(
      JSON.stringify(toDevice.events ?? []),
      lists,
      new Map(Object.entries(e2ee.device_one_time_keys_count ?? {})),
      new Set(e2ee.device_unused_fallback_key_types ?? []),
    );
  }
}

const roomListBody = (range: [number, number], extra: Json = {}) => ({
  conn_id: 'room-list',
  lists: { all_rooms: { ranges: [range], required_state: DEFAULT_REQUIRED_STATE, timeline_limit: 1, filters: {} } },
  extensions: { account_data: { enabled: true }, receipts: { enabled: true, rooms: ['*'] }, typing: { enabled: true } },
  ...extra,
});

beforeAll(async () => {
  await sdk.initAsync();
});

describe("Element X's room list service", () => {
  it('loads the first 20 rooms, grows to the rest, long-polls, and preloads an opened room', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const versions = (await (await fetch(`${baseUrl}/_matrix/client/versions`)).json()) as Json;
    expect(versions.unstable_features['org.matrix.simplified_msc3575']).toBe(true);

    const rooms: string[] = [];
    for (let i = 0; i < 23; i++) {
      const { room_id } = await api('POST', '/createRoom', alice.token, { preset: 'public_chat', name: `room ${i}` });
      await api('POST', `/join/${encodeURIComponent(room_id)}`, bob.token, {});
      rooms.push(room_id);
    }
    const { room_id: invited } = await api('POST', '/createRoom', alice.token, { preset: 'private_chat', invite: [bob.userId], is_direct: true });

    // State::Init: the selective range [0, 19], no long-poll.
    const first = await ss(bob.token, roomListBody([0, 19]), undefined, 0);
    expect(first.lists.all_rooms.count).toBe(24);
    expect(Object.keys(first.rooms).length).toBe(20);
    expect(first.rooms[invited].invite_state.some((e: Json) => e.type === 'm.room.member' && e.state_key === bob.userId)).toBe(true);
    const newest = first.rooms[rooms[22]];
    expect(newest.initial).toBe(true);
    expect(newest.name).toBe('room 22');
    expect(newest.timeline.length).toBe(1);
    const types = new Set(newest.required_state.map((e: Json) => e.type));
    for (const t of ['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.history_visibility', 'm.room.name']) expect(types.has(t), t).toBe(true);
    expect(newest.required_state.some((e: Json) => e.type === 'm.room.member' && e.state_key === bob.userId)).toBe(true);
    expect(first.extensions.account_data.global.some((e: Json) => e.type === 'm.push_rules')).toBe(true);

    // State::SettingUp: the growing mode asks for [0, 99]; only the rooms not sent yet come.
    const grown = await ss(bob.token, roomListBody([0, 99]), first.pos, 0);
    expect(Object.keys(grown.rooms).sort()).toEqual(rooms.slice(0, 4).sort());
    expect(grown.lists.all_rooms.count).toBe(24);

    // State::Running: long-poll with the default poll timeout; a message wakes it.
    const polling = ss(bob.token, roomListBody([0, 99]), grown.pos, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const { event_id } = await api('PUT', `/rooms/${encodeURIComponent(rooms[0])}/send/m.room.message/ss-${txn++}`, alice.token, { msgtype: 'm.text', body: 'wake up' });
    const live = await polling;
    expect(Object.keys(live.rooms)).toEqual([rooms[0]]);
    expect(live.rooms[rooms[0]].timeline.map((e: Json) => e.event_id)).toEqual([event_id]);
    expect(live.rooms[rooms[0]].num_live).toBe(1);
    expect(live.rooms[rooms[0]].bump_stamp).toBeGreaterThan(newest.bump_stamp);

    // Opening the room: a subscription with timeline_limit 20 brings the history the list did not.
    const opened = await ss(bob.token, roomListBody([0, 99], { room_subscriptions: { [rooms[0]]: { required_state: SUBSCRIPTION_REQUIRED_STATE, timeline_limit: 20 } } }), live.pos, 0);
    const room = opened.rooms[rooms[0]];
    expect(room.unstable_expanded_timeline).toBe(true);
    expect(room.timeline.length).toBeGreaterThan(1);
    expect(room.timeline.at(-1).event_id).toBe(event_id);
    // prev_batch continues the timeline through /messages.
    const page = await api('GET', `/rooms/${encodeURIComponent(rooms[0])}/messages?dir=b&limit=5&from=${encodeURIComponent(room.prev_batch)}`, bob.token);
    expect(page.chunk.every((e: Json) => !room.timeline.some((t: Json) => t.event_id === e.event_id))).toBe(true);

    // An unknown pos makes the SDK start afresh: M_UNKNOWN_POS.
    const stale = await fetch(`${slidingSync}?pos=${encodeURIComponent(first.pos)}x`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}` }, body: JSON.stringify(roomListBody([0, 19])) });
    expect(stale.status).toBe(400);
    expect(((await stale.json()) as Json).errcode).toBe('M_UNKNOWN_POS');
  });
});

describe("Element X's encryption sync with matrix-sdk-crypto", () => {
  it('feeds to-device messages, device lists and key counts to the OlmMachine, which decrypts a room message', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const bobSync = new EncryptionSync(bob);
    await bobSync.once();
    await flush(alice);
    await flush(bob);
    // The e2ee extension reports the one-time keys the machine uploaded.
    const counts = await ss(bob.token, { conn_id: 'encryption', extensions: { e2ee: { enabled: true } } }, bobSync.pos, 0);
    expect(counts.extensions.e2ee.device_one_time_keys_count.signed_curve25519).toBeGreaterThan(0);
    bobSync.pos = counts.pos;

    const { room_id: roomId } = await api('POST', '/createRoom', alice.token, { preset: 'public_chat' });
    await api('POST', `/join/${encodeURIComponent(roomId)}`, bob.token, {});
    const room = new sdk.RoomId(roomId);

    await alice.machine.updateTrackedUsers([new sdk.UserId(bob.userId)]);
    await flush(alice);
    const claim = await alice.machine.getMissingSessions([new sdk.UserId(bob.userId)]);
    await send(alice, claim!);
    for (const s of await alice.machine.shareRoomKey(room, [new sdk.UserId(bob.userId)], new sdk.EncryptionSettings())) await send(alice, s);
    const plaintext = { msgtype: 'm.text', body: `secret ${Math.random()}` };
    const encrypted = JSON.parse(await alice.machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify(plaintext)));
    await api('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.encrypted/ss-e2ee-${txn++}`, alice.token, encrypted);

    // Bob's encryption connection long-polls and brings the room key.
    await bob.machine.updateTrackedUsers([new sdk.UserId(alice.userId)]);
    await flush(bob);
    let processed: sdk.ProcessedToDeviceEvent[] = [];
    for (let i = 0; i < 10 && processed.length === 0; i++) processed = await bobSync.once(2000);
    const decrypted = processed.filter((e): e is sdk.DecryptedToDeviceEvent => e.type === sdk.ProcessedToDeviceEventType.Decrypted);
    expect(decrypted.map((e) => JSON.parse(e.rawEvent).type)).toContain('m.room_key');

    // The room-list connection brings the encrypted event; the machine decrypts it.
    const list = await ss(bob.token, roomListBody([0, 19]), undefined, 0);
    const event = list.rooms[roomId].timeline.at(-1);
    expect(event.type).toBe('m.room.encrypted');
    const clear = await bob.machine.decryptRoomEvent(JSON.stringify({ ...event, room_id: roomId }), room, new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted));
    expect(JSON.parse(clear.event).content).toEqual(plaintext);

    // Acknowledged by the next request's since: not delivered again.
    expect(await bobSync.once()).toEqual([]);
  });
});
