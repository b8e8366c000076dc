// EDUs both ways (spec: server-server "Typing Notifications", "Presence", "Receipts", "Device
// Management", "End-to-End Encryption", "Send-to-device messaging", "Server ACLs"): a fake server
// whose user joined one of our rooms sends EDUs in transactions and receives ours.
import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import { createRoom, putState, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { makeCrossSigning, makeDevice, uploadCrossSigning, uploadOk } from '../e2ee/helpers';
import { ephemeralOf, receipt, setPresence, sync, syncUntil, typing, type SyncBody } from '../sync/helpers';
import { deviceKeys, fakeServer, interceptFederation, type FakeServer } from './fake-server';

interceptFederation();

const enc = encodeURIComponent;

/** A public room of a local user that a user of a fake server joined. */
async function sharedRoom(): Promise<{ alice: TestUser; roomId: string; remote: FakeServer; bob: string }> {
  const remote = await fakeServer();
  const alice = await registerUser();
  const roomId = await createRoom(alice, { preset: 'public_chat' });
  const bob = remote.user('bob');
  await remote.joinRoom(roomId, bob);
  return { alice, roomId, remote, bob };
}

async function transactionOk(remote: FakeServer, edus: unknown[]) {
  const r = await remote.transaction(edus);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('PUT /_matrix/federation/v1/send/{txnId}', 200, r.body);
}

const typingOf = (b: SyncBody, roomId: string) => ephemeralOf(b, roomId).find((e) => e.type === 'm.typing')?.content.user_ids as string[] | undefined;
const presenceOf = (b: SyncBody, userId: string) => (b.presence?.events ?? []).find((e: { sender: string }) => e.sender === userId)?.content;

describe('typing and receipts', () => {
  it("sends our users' typing to the room's other servers, and theirs reaches our syncs", async () => {
    const { alice, roomId, remote, bob } = await sharedRoom();
    expect((await typing(alice, roomId, { typing: true, timeout: 20_000 })).status).toBe(200);
    await remote.waitFor(() => remote.edus('m.typing').length > 0);
    expect(remote.edus('m.typing')).toEqual([{ edu_type: 'm.typing', content: { room_id: roomId, user_id: alice.userId, typing: true } }]);

    expect((await typing(alice, roomId, { typing: false })).status).toBe(200);
    const before = await sync(alice);
    await transactionOk(remote, [
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: true } },
      // A server speaks only for its own users.
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: alice.userId, typing: true } },
    ]);
    const seen = await syncUntil(alice, before.next_batch, (b) => (typingOf(b, roomId) ?? []).includes(bob));
    expect(typingOf(seen.at(-1)!, roomId)).toEqual([bob]);
    // Typing of the remote user is not sent back to its own server.
    expect(remote.edus('m.typing').filter((e) => e.content.user_id === bob)).toEqual([]);
  });

  it('ignores typing and receipts from a server the room ACL bans', async () => {
    const { alice, roomId, remote, bob } = await sharedRoom();
    const eventId = await sendOk(alice, roomId);
    expect((await putState(alice, roomId, 'm.room.server_acl', { allow: ['*'], deny: [remote.name] })).status).toBe(200);
    const before = await sync(alice);
    await transactionOk(remote, [
      { edu_type: 'm.typing', content: { room_id: roomId, user_id: bob, typing: true } },
      { edu_type: 'm.receipt', content: { [roomId]: { 'm.read': { [bob]: { event_ids: [eventId], data: { ts: 1 } } } } } },
    ]);
    const after = await sync(alice, { since: before.next_batch, timeout: 300 });
    expect(typingOf(after, roomId)).toBeUndefined();
    expect(ephemeralOf(after, roomId).find((e) => e.type === 'm.receipt')).toBeUndefined();
  });

  it('sends public read receipts and keeps private ones', async () => {
    const { alice, roomId, remote } = await sharedRoom();
    const first = await sendOk(alice, roomId);
    const second = await sendOk(alice, roomId);
    expect((await receipt(alice, roomId, first, 'm.read.private')).status).toBe(200);
    expect((await receipt(alice, roomId, second, 'm.read', { thread_id: 'main' })).status).toBe(200);
    await remote.waitFor(() => remote.edus('m.receipt').length > 0);
    const receipts = remote.edus('m.receipt');
    expect(receipts).toHaveLength(1);
    const r = receipts[0].content[roomId]['m.read'][alice.userId];
    expect(r.event_ids).toEqual([second]);
    expect(r.data.thread_id).toBe('main');
    expect(typeof r.data.ts).toBe('number');
  });
});

describe('presence', () => {
  it("stores the presence of remote room-mates for our users' syncs, and nobody else's", async () => {
    const { alice, remote, bob } = await sharedRoom();
    const stranger = remote.user('stranger');
    const before = await sync(alice);
    await transactionOk(remote, [
      {
        edu_type: 'm.presence',
        content: {
          push: [
            { user_id: bob, presence: 'online', last_active_ago: 1000, currently_active: true, status_msg: 'Busy' },
            { user_id: stranger, presence: 'online', last_active_ago: 0 },
            { user_id: alice.userId, presence: 'offline', last_active_ago: 0 },
            { user_id: bob, presence: 'asleep', last_active_ago: 0 },
          ],
        },
      },
    ]);
    const seen = await syncUntil(alice, before.next_batch, (b) => presenceOf(b, bob) !== undefined);
    const last = seen.at(-1)!;
    expect(presenceOf(last, bob)).toMatchObject({ presence: 'online', status_msg: 'Busy', currently_active: true });
    expect(presenceOf(last, stranger)).toBeUndefined();
    const status = await call('GET', `/_matrix/client/v3/presence/${enc(bob)}/status`, { token: alice.token });
    expect(status.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/presence/{userId}/status', 200, status.body);
    expect(status.body.presence).toBe('online');
    // A spoofed update for our own user changed nothing.
    expect((await call('GET', `/_matrix/client/v3/presence/${enc(alice.userId)}/status`, { token: alice.token })).body.presence).not.toBe('offline');
  });

  it("sends our user's presence to the servers they share a room with", async () => {
    const { alice, remote } = await sharedRoom();
    expect((await setPresence(alice, { presence: 'unavailable', status_msg: 'Lunch' })).status).toBe(200);
    await remote.waitFor(() => remote.edus('m.presence').some((e) => e.content.push.some((p: { user_id: string }) => p.user_id === alice.userId)));
    const push = remote.edus('m.presence').flatMap((e) => e.content.push).filter((p: { user_id: string }) => p.user_id === alice.userId);
    expect(push.at(-1)).toMatchObject({ user_id: alice.userId, presence: 'unavailable', status_msg: 'Lunch' });
    expect(typeof push.at(-1).last_active_ago).toBe('number');
  });
});

describe('device lists', () => {
  it('resyncs an unknown list, applies updates that follow on, resyncs on a gap, and tells our users', async () => {
    const { alice, remote, bob } = await sharedRoom();
    const phone = await deviceKeys(bob, 'PHONE');
    const laptop = await deviceKeys(bob, 'LAPTOP');
    const tablet = await deviceKeys(bob, 'TABLET');
    const bobUser = { userId: bob, deviceId: 'PHONE' } as TestUser;
    const cs = await makeCrossSigning(bobUser);
    let devices: unknown[] = [{ device_id: 'PHONE', keys: phone }];
    let streamId = 10;
    remote.on('GET', `/_matrix/federation/v1/user/devices/${enc(bob)}`, () => ({ user_id: bob, stream_id: streamId, devices, master_key: cs.body.master_key, self_signing_key: cs.body.self_signing_key }));
    const resyncs = () => remote.received.filter((r) => r.url.pathname.startsWith('/_matrix/federation/v1/user/devices/')).length;
    const keysOfBob = async () => {
      const r = await call('POST', '/_matrix/client/v3/keys/query', { token: alice.token, body: { device_keys: { [bob]: [] } }, vars: remote.vars });
      expect(r.status).toBe(200);
      expectSpec('POST /_matrix/client/v3/keys/query', 200, r.body);
      return r.body;
    };

    const start = await sync(alice);
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: bob, device_id: 'PHONE', stream_id: 10, prev_id: [], deleted: false, keys: phone } }]);
    expect(resyncs()).toBe(1);
    const seen = await syncUntil(alice, start.next_batch, (b) => (b.device_lists?.changed ?? []).includes(bob));
    expect(seen.at(-1)!.device_lists.changed).toContain(bob);
    const cached = await keysOfBob();
    expect(cached.device_keys[bob]).toEqual({ PHONE: phone });
    expect(cached.master_keys[bob]).toEqual(cs.body.master_key);
    // Answered from the cache: the remote was not asked.
    expect(remote.received.filter((r) => r.url.pathname === '/_matrix/federation/v1/user/keys/query')).toEqual([]);

    // An update that follows on from stream 10 is applied as it is.
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: bob, device_id: 'LAPTOP', stream_id: 11, prev_id: [10], keys: laptop } }]);
    expect(resyncs()).toBe(1);
    expect((await keysOfBob()).device_keys[bob]).toEqual({ PHONE: phone, LAPTOP: laptop });
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: bob, device_id: 'PHONE', stream_id: 12, prev_id: [11], deleted: true } }]);
    expect((await keysOfBob()).device_keys[bob]).toEqual({ LAPTOP: laptop });
    // An old one again changes nothing.
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: bob, device_id: 'PHONE', stream_id: 11, prev_id: [10], keys: phone } }]);
    expect((await keysOfBob()).device_keys[bob]).toEqual({ LAPTOP: laptop });

    // A gap (prev_id 14 was never seen) makes us fetch the whole list again.
    devices = [{ device_id: 'LAPTOP', keys: laptop }, { device_id: 'TABLET', keys: tablet }, { device_id: 'NOKEYS' }];
    streamId = 15;
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: bob, device_id: 'TABLET', stream_id: 15, prev_id: [14], keys: tablet } }]);
    expect(resyncs()).toBe(2);
    expect((await keysOfBob()).device_keys[bob]).toEqual({ LAPTOP: laptop, TABLET: tablet });
  });

  it('takes new cross-signing keys from m.signing_key_update, and refuses a self-signing key the master did not sign', async () => {
    const { alice, remote, bob } = await sharedRoom();
    const bobUser = { userId: bob, deviceId: 'PHONE' } as TestUser;
    const first = await makeCrossSigning(bobUser);
    remote.on('GET', `/_matrix/federation/v1/user/devices/${enc(bob)}`, () => ({ user_id: bob, stream_id: 1, devices: [], master_key: first.body.master_key, self_signing_key: first.body.self_signing_key }));
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: bob, device_id: 'X', stream_id: 1, prev_id: [], deleted: true } }]);
    const query = async () => (await call('POST', '/_matrix/client/v3/keys/query', { token: alice.token, body: { device_keys: { [bob]: [] } }, vars: remote.vars })).body;
    expect((await query()).master_keys[bob]).toEqual(first.body.master_key);

    const second = await makeCrossSigning(bobUser);
    const before = await sync(alice);
    await transactionOk(remote, [{ edu_type: 'm.signing_key_update', content: { user_id: bob, master_key: second.body.master_key, self_signing_key: second.body.self_signing_key } }]);
    const after = await query();
    expect(after.master_keys[bob]).toEqual(second.body.master_key);
    expect(after.self_signing_keys[bob]).toEqual(second.body.self_signing_key);
    const seen = await syncUntil(alice, before.next_batch, (b) => (b.device_lists?.changed ?? []).includes(bob));
    expect(seen.at(-1)!.device_lists.changed).toContain(bob);

    // Signed by the first master key, not the current one: refused.
    await transactionOk(remote, [{ edu_type: 'm.signing_key_update', content: { user_id: bob, self_signing_key: first.body.self_signing_key } }]);
    expect((await query()).self_signing_keys[bob]).toEqual(second.body.self_signing_key);
    // For a user of another server: ignored.
    const other = await fakeServer();
    await transactionOk(other, [{ edu_type: 'm.signing_key_update', content: { user_id: bob, master_key: first.body.master_key } }]);
    expect((await query()).master_keys[bob]).toEqual(second.body.master_key);
  });

  it('ignores updates for users no local user shares a room with', async () => {
    const remote = await fakeServer();
    const carol = remote.user('carol');
    await transactionOk(remote, [{ edu_type: 'm.device_list_update', content: { user_id: carol, device_id: 'D', stream_id: 1, prev_id: [] } }]);
    expect(remote.received.filter((r) => r.url.pathname.startsWith('/_matrix/federation/v1/user/devices/'))).toEqual([]);
  });

  it("sends our user's device and cross-signing changes to the servers in their rooms", async () => {
    const { alice, remote } = await sharedRoom();
    const device = await makeDevice(alice);
    await uploadOk(alice, { device_keys: device.keys });
    await remote.waitFor(() => remote.edus('m.device_list_update').some((e) => e.content.keys));
    const update = remote.edus('m.device_list_update').find((e) => e.content.keys)!;
    expect(update.content).toMatchObject({ user_id: alice.userId, device_id: alice.deviceId, deleted: false, keys: device.keys });
    expect(update.content.prev_id).toHaveLength(1);
    // The stream id is what /user/devices reports.
    const devices = await remote.request('GET', `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`);
    expect(devices.body.stream_id).toBe(update.content.stream_id);

    const cs = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, cs.body)).status).toBe(200);
    await remote.waitFor(() => remote.edus('m.signing_key_update').length > 0);
    expect(remote.edus('m.signing_key_update')[0].content).toEqual({ user_id: alice.userId, master_key: cs.body.master_key, self_signing_key: cs.body.self_signing_key });

    // A device logged out: deleted.
    const del = await call('POST', '/_matrix/client/v3/logout', { token: alice.token });
    expect(del.status).toBe(200);
    await remote.waitFor(() => remote.edus('m.device_list_update').some((e) => e.content.deleted));
    const deleted = remote.edus('m.device_list_update').find((e) => e.content.deleted)!;
    expect(deleted.content).toMatchObject({ user_id: alice.userId, device_id: alice.deviceId, deleted: true });
    // Each update points at the one before it (here the cross-signing change after the key upload).
    expect(deleted.content.prev_id).toHaveLength(1);
    expect(deleted.content.prev_id[0]).toBeGreaterThan(update.content.stream_id);
    expect(deleted.content.stream_id).toBeGreaterThan(deleted.content.prev_id[0]);
  });
});

describe('send-to-device', () => {
  it('delivers messages from remote users to our devices once per message_id', async () => {
    const { alice, remote, bob } = await sharedRoom();
    const before = await sync(alice);
    const edu = { edu_type: 'm.direct_to_device', content: { sender: bob, type: 'm.room_key_request', message_id: 'm1', messages: { [alice.userId]: { [alice.deviceId]: { n: 1 } } } } };
    await transactionOk(remote, [edu]);
    await transactionOk(remote, [edu]);
    // Another server cannot speak for Bob.
    const other = await fakeServer();
    await transactionOk(other, [{ ...edu, content: { ...edu.content, message_id: 'm2' } }]);
    const seen = await syncUntil(alice, before.next_batch, (b) => (b.to_device?.events ?? []).length > 0);
    const all = seen.flatMap((b) => b.to_device?.events ?? []);
    expect(all).toEqual([{ sender: bob, type: 'm.room_key_request', content: { n: 1 } }]);
    const later = await sync(alice, { since: seen.at(-1)!.next_batch, timeout: 300 });
    expect(later.to_device?.events ?? []).toEqual([]);
  });

  it("sends our users' messages to remote users as m.direct_to_device, once per transaction id", async () => {
    const { alice, remote, bob } = await sharedRoom();
    const path = `/_matrix/client/v3/sendToDevice/m.room.encrypted/${Date.now()}`;
    const body = { messages: { [bob]: { BOBPHONE: { ciphertext: 'x' }, '*': { all: true } } } };
    expect((await call('PUT', path, { token: alice.token, body, vars: remote.vars })).status).toBe(200);
    expect((await call('PUT', path, { token: alice.token, body, vars: remote.vars })).status).toBe(200);
    await remote.waitFor(() => remote.edus('m.direct_to_device').length > 0);
    const sent = remote.edus('m.direct_to_device');
    expect(sent).toHaveLength(1);
    expect(sent[0].content).toMatchObject({ sender: alice.userId, type: 'm.room.encrypted', messages: body.messages });
    expect(typeof sent[0].content.message_id).toBe('string');
  });
});
