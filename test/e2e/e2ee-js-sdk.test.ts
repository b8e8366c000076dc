// matrix-js-sdk with its Rust crypto (initRustCrypto, in-memory store) against a running server:
// cross-signing bootstrap behind user-interactive auth, an encrypted room, a key backup, and the
// backup restored on a second device that then decrypts the first device's message.
import { ClientEvent, createClient, MatrixEvent, MsgType, SyncState, type MatrixClient } from 'matrix-js-sdk';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

const baseUrl = inject('homeserverUrl');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quiet };
const password = 'js-sdk e2ee password';
const clients: MatrixClient[] = [];

async function started(credentials: { userId: string; deviceId: string; accessToken: string }): Promise<MatrixClient> {
  const c = createClient({ baseUrl, logger: quiet, ...credentials });
  clients.push(c);
  await c.initRustCrypto({ useIndexedDB: false });
  const ready = new Promise<void>((resolve, reject) => {
    c.on(ClientEvent.Sync, (state: SyncState, _prev: SyncState | null, data?: { error?: Error }) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) resolve();
      if (state === SyncState.Error) reject(data?.error ?? new Error('sync failed'));
    });
  });
  await c.startClient({ initialSyncLimit: 10 });
  await ready;
  return c;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The server's view of the current backup (GET /room_keys/version). */
async function backupInfo(accessToken: string): Promise<{ version: string; count: number }> {
  const res = await fetch(`${baseUrl}/_matrix/client/v3/room_keys/version`, { headers: { authorization: `Bearer ${accessToken}` } });
  return (await res.json()) as { version: string; count: number };
}

// The SDK and its Rust crypto log every step to the console; a test run only wants its own output.
beforeAll(() => {
  for (const level of ['log', 'debug', 'info', 'warn'] as const) vi.spyOn(console, level).mockImplementation(() => {});
});

// The console stays silenced: stopped clients still log while they wind down, and a log that
// reaches vitest after the file's environment is torn down is reported as an unhandled error.
afterAll(() => {
  for (const c of clients) c.stopClient();
});

describe('matrix-js-sdk with Rust crypto', () => {
  it('bootstraps cross-signing, backs up room keys, and restores them on a new device', async () => {
    const localpart = `js-e2ee-${Date.now().toString(36)}`;
    const anonymous = createClient({ baseUrl, logger: quiet });
    const challenge = await anonymous.registerRequest({ username: localpart, password }).catch((e) => e.data);
    const reg = await anonymous.register(localpart, password, challenge.session, { type: 'm.login.dummy' });
    const first = await started({ userId: reg.user_id, deviceId: reg.device_id!, accessToken: reg.access_token! });
    const crypto = first.getCrypto()!;

    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: async (makeRequest) => {
        await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: reg.user_id }, password } as never);
      },
    });
    expect(await crypto.isCrossSigningReady()).toBe(true);
    const status = await crypto.getCrossSigningStatus();
    expect(status.publicKeysOnDevice).toBe(true);
    // The signature of this device by the self-signing key comes back through device_lists and /keys/query.
    await until('the device to be cross-signed', async () => (await crypto.getDeviceVerificationStatus(reg.user_id, reg.device_id!))?.crossSigningVerified);

    await crypto.resetKeyBackup();
    const version = await until('an active backup', () => crypto.getActiveSessionBackupVersion());

    const { room_id: roomId } = await first.createRoom({
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    await until('the room', async () => first.getRoom(roomId)?.hasEncryptionStateEvent());
    const plaintext = `backed up ${Math.random()}`;
    const { event_id: eventId } = await first.sendMessage(roomId, { msgtype: MsgType.Text, body: plaintext });
    await until('the key in the backup', async () => (await backupInfo(reg.access_token!)).count > 0);
    const backupKey = await crypto.getSessionBackupPrivateKey();
    expect(backupKey).toBeTruthy();

    // A second device of the same user: restore the backup with its key, then decrypt.
    const login = await anonymous.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password });
    const second = await started({ userId: reg.user_id, deviceId: login.device_id, accessToken: login.access_token });
    const crypto2 = second.getCrypto()!;
    await crypto2.storeSessionBackupPrivateKey(backupKey!, version);
    const restored = await crypto2.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThanOrEqual(1);

    const raw = await second.fetchRoomEvent(roomId, eventId);
    const event = new MatrixEvent(raw);
    await second.decryptEventIfNeeded(event);
    expect(event.getType()).toBe('m.room.message');
    expect(event.getContent().body).toBe(plaintext);
  });
});
