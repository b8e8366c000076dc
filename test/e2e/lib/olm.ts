// A client that drives the crypto Element uses (@matrix-org/matrix-sdk-crypto-wasm) against a
// running server: its OlmMachine's outgoing requests are sent as a client's HTTP layer would, and
// the E2EE parts of /sync are handed back to it. Shared by the single-server and federation tests.
import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';

export type Json = Record<string, any>;

export interface OlmAccount {
  baseUrl: string;
  userId: string;
  deviceId: string;
  token: string;
  machine: sdk.OlmMachine;
  since?: string;
}

/** A client-server request; anything but 2xx throws with the server's answer. */
export async function api(baseUrl: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<Json> {
  const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The account's own request (its server, its token). */
export const accountApi = (a: OlmAccount, method: string, path: string, body?: unknown) => api(a.baseUrl, method, path, a.token, body);

let n = 0;
/** Registers a user on `baseUrl` and gives it a fresh OlmMachine for its device (sdk.initAsync first). */
export async function registerOlm(baseUrl: string, name: string): Promise<OlmAccount> {
  const username = `${name}-${Date.now().toString(36)}-${n++}`;
  const password = 'e2ee test password';
  const challenge = await fetch(`${baseUrl}/_matrix/client/v3/register`, { method: 'POST', body: JSON.stringify({ username, password }) });
  const { session } = (await challenge.json()) as Json;
  const r = await api(baseUrl, 'POST', '/register', undefined, { username, password, auth: { type: 'm.login.dummy', session } });
  const machine = await sdk.OlmMachine.initialize(new sdk.UserId(r.user_id), new sdk.DeviceId(r.device_id));
  return { baseUrl, userId: r.user_id, deviceId: r.device_id, token: r.access_token, machine };
}

let txn = 0;

/** Sends one of the machine's outgoing requests to the server and tells the machine the answer. */
export async function sendOutgoing(account: OlmAccount, request: sdk.OutgoingRequest | sdk.ToDeviceRequest | sdk.KeysClaimRequest): Promise<void> {
  const body = JSON.parse(request.body) as Json;
  let response: Json;
  switch (request.type) {
    case sdk.RequestType.KeysUpload:
      response = await accountApi(account, 'POST', '/keys/upload', body);
      break;
    case sdk.RequestType.KeysQuery:
      response = await accountApi(account, 'POST', '/keys/query', body);
      break;
    case sdk.RequestType.KeysClaim:
      response = await accountApi(account, 'POST', '/keys/claim', body);
      break;
    case sdk.RequestType.ToDevice: {
      const r = request as sdk.ToDeviceRequest;
      response = await accountApi(account, 'PUT', `/sendToDevice/${encodeURIComponent(r.event_type)}/${encodeURIComponent(r.txn_id)}`, body);
      break;
    }
    case sdk.RequestType.SignatureUpload:
      response = await accountApi(account, 'POST', '/keys/signatures/upload', body);
      break;
    default:
      throw new Error(`unexpected request type ${request.type}`);
  }
  await account.machine.markRequestAsSent(request.id!, request.type, JSON.stringify(response));
}

/** Sends whatever the machine has queued (key uploads, queries), a few rounds deep. */
export async function flush(account: OlmAccount): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const requests = await account.machine.outgoingRequests();
    if (requests.length === 0) return;
    for (const r of requests) await sendOutgoing(account, r);
  }
}

/** One /sync, handing the E2EE parts to the machine; returns the to-device events it processed. */
export async function syncOnce(account: OlmAccount, timeoutMs = 0): Promise<sdk.ProcessedToDeviceEvent[]> {
  const query = account.since ? `?since=${encodeURIComponent(account.since)}&timeout=${timeoutMs}` : '?timeout=0';
  const r = await accountApi(account, 'GET', `/sync${query}`);
  account.since = r.next_batch;
  const lists = new sdk.DeviceLists(
    (r.device_lists?.changed ?? []).map((u: string) => new sdk.UserId(u)),
    (r.device_lists?.left ?? []).map((u: string) => new sdk.UserId(u)),
  );
  const counts = new Map<string, number>(Object.entries(r.device_one_time_keys_count ?? {}));
  const fallback = new Set<string>(r.device_unused_fallback_key_types ?? []);
  return account.machine.receiveSyncChanges(JSON.stringify(r.to_device?.events ?? []), lists, counts, fallback);
}

/** Syncs until the machine has decrypted a to-device event of `type` (an Olm-wrapped m.room_key...). */
export async function syncUntilDecrypted(account: OlmAccount, type: string, ms = 20_000): Promise<sdk.DecryptedToDeviceEvent[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const processed = await syncOnce(account, 1000);
    const decrypted = processed.filter((e): e is sdk.DecryptedToDeviceEvent => e.type === sdk.ProcessedToDeviceEventType.Decrypted);
    if (decrypted.some((e) => JSON.parse(e.rawEvent).type === type)) return decrypted;
  }
  throw new Error(`timed out waiting for a decrypted ${type} for ${account.userId}`);
}

/**
 * `from` claims a one-time key of each of `to`'s devices, shares a Megolm session with them over
 * to-device, and sends `plaintext` encrypted into the room; returns the event id.
 */
export async function sendEncrypted(from: OlmAccount, to: OlmAccount, roomId: string, plaintext: Json): Promise<string> {
  const room = new sdk.RoomId(roomId);
  await from.machine.updateTrackedUsers([new sdk.UserId(to.userId)]);
  await flush(from);
  const claim = await from.machine.getMissingSessions([new sdk.UserId(to.userId)]);
  if (claim) await sendOutgoing(from, claim);
  const shares = await from.machine.shareRoomKey(room, [new sdk.UserId(to.userId)], new sdk.EncryptionSettings());
  if (shares.length === 0) throw new Error(`no room key was shared with ${to.userId}`);
  for (const s of shares) await sendOutgoing(from, s);
  const encrypted = JSON.parse(await from.machine.encryptRoomEvent(room, 'm.room.message', JSON.stringify(plaintext)));
  const { event_id } = await accountApi(from, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.encrypted/e2ee-${Date.now()}-${txn++}`, encrypted);
  return event_id as string;
}

/** Decrypts a room event as the account's machine sees it (untrusted devices allowed). */
export async function decrypt(account: OlmAccount, roomId: string, event: Json): Promise<{ content: Json; sender: string }> {
  const clear = await account.machine.decryptRoomEvent(JSON.stringify(event), new sdk.RoomId(roomId), new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted));
  return { content: JSON.parse(clear.event).content, sender: clear.sender.toString() };
}
