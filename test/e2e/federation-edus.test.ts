// Two homeservers on loopback (test/setup/server.ts): typing, receipts and presence flow both ways
// in a room shared across them; media uploaded on one is downloaded by the other's user through
// authenticated federation media; and an E2EE exchange with matrix-sdk-crypto-wasm decrypts across
// the servers (keys queried and claimed over federation, room key sent as to-device EDU).
import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { call, register, send, syncUntil, type Account } from './lib/http-client';
import { accountApi, decrypt, flush, registerOlm, sendEncrypted, syncUntilDecrypted } from './lib/olm';

const a = inject('homeserverUrl');
const b = inject('remoteHomeserverUrl');
const aName = inject('serverName');
const enc = encodeURIComponent;

const ephemeral = (s: any, roomId: string, type: string) => (s.rooms?.join?.[roomId]?.ephemeral?.events ?? []).find((e: { type: string }) => e.type === type);
const presenceOf = (s: any, userId: string) => (s.presence?.events ?? []).find((e: { sender: string }) => e.sender === userId);

/** Alice of A creates a public room and Bob of B joins it; both have seen the join. */
async function sharedRoom(alice: Account, bob: Account): Promise<string> {
  const created = await call(alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' });
  expect(created.status).toBe(200);
  const roomId = created.body.room_id as string;
  const joined = await call(bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=${enc(aName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  await syncUntil(alice, "bob's join on A", (s) => (s.rooms?.join?.[roomId]?.timeline?.events ?? []).find((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId));
  await syncUntil(bob, 'the room on B', (s) => s.rooms?.join?.[roomId]);
  return roomId;
}

describe('EDUs between two servers', () => {
  let alice: Account;
  let bob: Account;
  let roomId: string;
  beforeAll(async () => {
    [alice, bob] = await Promise.all([register(a, 'alice'), register(b, 'bob')]);
    roomId = await sharedRoom(alice, bob);
  });

  it('typing notifications flow both ways', async () => {
    expect((await call(alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: true, timeout: 20_000 })).status).toBe(200);
    await syncUntil(bob, "alice's typing on B", (s) => (ephemeral(s, roomId, 'm.typing')?.content.user_ids.includes(alice.userId) ? true : undefined));
    expect((await call(bob, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { typing: true, timeout: 20_000 })).status).toBe(200);
    await syncUntil(alice, "bob's typing on A", (s) => (ephemeral(s, roomId, 'm.typing')?.content.user_ids.includes(bob.userId) ? true : undefined));
    // Stopping is heard too.
    expect((await call(alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { typing: false })).status).toBe(200);
    await syncUntil(bob, "alice's stop on B", (s) => {
      const t = ephemeral(s, roomId, 'm.typing');
      return t && !t.content.user_ids.includes(alice.userId) ? true : undefined;
    });
  });

  it('read receipts flow both ways', async () => {
    const fromAlice = await send(alice, roomId, { msgtype: 'm.text', body: 'read me' });
    await syncUntil(bob, "alice's message on B", (s) => (s.rooms?.join?.[roomId]?.timeline?.events ?? []).find((e: any) => e.event_id === fromAlice));
    expect((await call(bob, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(fromAlice)}`, {})).status).toBe(200);
    const onA = await syncUntil(alice, "bob's receipt on A", (s) => ephemeral(s, roomId, 'm.receipt')?.content[fromAlice]?.['m.read']?.[bob.userId]);
    expect(typeof onA.ts).toBe('number');

    const fromBob = await send(bob, roomId, { msgtype: 'm.text', body: 'and me' });
    await syncUntil(alice, "bob's message on A", (s) => (s.rooms?.join?.[roomId]?.timeline?.events ?? []).find((e: any) => e.event_id === fromBob));
    expect((await call(alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(fromBob)}`, {})).status).toBe(200);
    await syncUntil(bob, "alice's receipt on B", (s) => ephemeral(s, roomId, 'm.receipt')?.content[fromBob]?.['m.read']?.[alice.userId]);
  });

  it('presence flows both ways', async () => {
    const aliceStatus = `at A ${Date.now()}`;
    expect((await call(alice, 'PUT', `/_matrix/client/v3/presence/${enc(alice.userId)}/status`, { presence: 'online', status_msg: aliceStatus })).status).toBe(200);
    const seenOnB = await syncUntil(bob, "alice's presence on B", (s) => (presenceOf(s, alice.userId)?.content.status_msg === aliceStatus ? presenceOf(s, alice.userId) : undefined));
    expect(seenOnB.content.presence).toBe('online');
    const onBServer = await call(bob, 'GET', `/_matrix/client/v3/presence/${enc(alice.userId)}/status`);
    expect(onBServer.body.status_msg).toBe(aliceStatus);

    const bobStatus = `at B ${Date.now()}`;
    expect((await call(bob, 'PUT', `/_matrix/client/v3/presence/${enc(bob.userId)}/status`, { presence: 'unavailable', status_msg: bobStatus })).status).toBe(200);
    const seenOnA = await syncUntil(alice, "bob's presence on A", (s) => (presenceOf(s, bob.userId)?.content.status_msg === bobStatus ? presenceOf(s, bob.userId) : undefined));
    expect(seenOnA.content.presence).toBe('unavailable');
  });

  it("media uploaded on one server is downloaded by the other's user", async () => {
    const bytes = new Uint8Array(40_000).map((_, i) => (i * 31) % 251);
    const up = await fetch(`${a}/_matrix/media/v3/upload?filename=across.bin`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream' }, body: bytes });
    expect(up.status).toBe(200);
    const mxc = ((await up.json()) as { content_uri: string }).content_uri;
    const [server, mediaId] = mxc.slice('mxc://'.length).split('/');
    expect(server).toBe(aName);
    const down = await fetch(`${b}/_matrix/client/v1/media/download/${enc(server)}/${enc(mediaId)}`, { headers: { authorization: `Bearer ${bob.token}` } });
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(bytes);
    // Without a token, authenticated media refuses.
    const anonymous = await fetch(`${b}/_matrix/client/v1/media/download/${enc(server)}/${enc(mediaId)}`);
    expect(anonymous.status).toBe(401);
  });
});

describe('end-to-end encryption between two servers', () => {
  beforeAll(async () => {
    await sdk.initAsync();
  });

  it('a Megolm session shared over federation decrypts on the other server, both ways', async () => {
    const [alice, bob] = await Promise.all([registerOlm(a, 'alice'), registerOlm(b, 'bob')]);
    await Promise.all([flush(alice), flush(bob)]);
    // Each server answers for the other's users through /user/keys/query.
    const bobKeys = await accountApi(alice, 'POST', '/keys/query', { device_keys: { [bob.userId]: [] } });
    expect(Object.keys(bobKeys.device_keys[bob.userId] ?? {})).toEqual([bob.deviceId]);

    const { room_id: roomId } = await accountApi(alice, 'POST', '/createRoom', { preset: 'public_chat' });
    await accountApi(bob, 'POST', `/join/${enc(roomId)}?via=${enc(aName)}`, {});

    const toBob = { msgtype: 'm.text', body: `secret for B ${Math.random()}` };
    const eventId = await sendEncrypted(alice, bob, roomId, toBob);
    await bob.machine.updateTrackedUsers([new sdk.UserId(alice.userId)]);
    await flush(bob);
    await syncUntilDecrypted(bob, 'm.room_key');
    const event = await waitForEvent(bob, roomId, eventId);
    expect(event.type).toBe('m.room.encrypted');
    const clear = await decrypt(bob, roomId, event);
    expect(clear.content).toEqual(toBob);
    expect(clear.sender).toBe(alice.userId);

    const toAlice = { msgtype: 'm.text', body: `secret for A ${Math.random()}` };
    const back = await sendEncrypted(bob, alice, roomId, toAlice);
    await syncUntilDecrypted(alice, 'm.room_key');
    expect((await decrypt(alice, roomId, await waitForEvent(alice, roomId, back))).content).toEqual(toAlice);
  });
});

/** The event as the account's server serves it, once federation has delivered it. */
async function waitForEvent(account: { baseUrl: string; token: string }, roomId: string, eventId: string): Promise<Record<string, any>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await fetch(`${account.baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`, { headers: { authorization: `Bearer ${account.token}` } });
    if (r.status === 200) return (await r.json()) as Record<string, any>;
    if (Date.now() > deadline) throw new Error(`${eventId} never reached ${account.baseUrl}: ${r.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
