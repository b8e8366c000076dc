// A third server that this test starts, stops and cuts off: nothing sent while it is away is lost,
// and state written on both sides of a partition converges once it heals.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error plain ESM helper shared with `npm run dev`
import { freePort, startLocalServer } from '../../scripts/lib/local-server.mjs';
import { call, register, send, syncUntil, timelineOf, type Account } from './lib/http-client';
import { startProxy, type Proxy } from './lib/proxy';

const aUrl = inject('homeserverUrl');
const aName = inject('serverName');
const spare = inject('spareServer');
const enc = encodeURIComponent;
const dataDir = fileURLToPath(new URL(`../../.data/e2e-spare-${process.pid}`, import.meta.url));

let server: { baseUrl: string; stop(): Promise<void> } | undefined;
let toC: Proxy;
let toA: Proxy;
let proxyToAPort: number;

async function startC() {
  server = await startLocalServer({
    port: spare.port,
    serverName: spare.name,
    dataDir,
    quiet: true,
    vars: { REGISTRATION: 'open', RATE_LIMITS: 'off', FEDERATION_RESOLVE: `${aName}=http://127.0.0.1:${proxyToAPort}` },
  });
}

beforeAll(async () => {
  proxyToAPort = await freePort();
  toA = await startProxy(proxyToAPort, Number(new URL(aUrl).port));
  toC = await startProxy(spare.proxyPort, spare.port);
  await startC();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([toA?.close(), toC?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

async function sharedRoom(alice: Account, carol: Account, extra: Record<string, unknown> = {}) {
  const created = await call(alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', ...extra });
  expect(created.status).toBe(200);
  const roomId = created.body.room_id as string;
  const joined = await call(carol, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=${enc(aName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  return roomId;
}

describe('federation through outages and partitions', () => {
  it('a server that was down receives every event sent meanwhile, in order', async () => {
    const alice = await register(aUrl, 'alice');
    const carol = await register(server!.baseUrl, 'carol');
    const roomId = await sharedRoom(alice, carol);
    await syncUntil(carol, 'the room on C', (s) => (s.rooms?.join?.[roomId] ? true : undefined));

    await server!.stop();
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await send(alice, roomId, { msgtype: 'm.text', body: `while away ${i}` }));
    await startC();
    carol.baseUrl = server!.baseUrl;

    // Carol's message tells A that C is back; A then delivers its backlog.
    await send(carol, roomId, { msgtype: 'm.text', body: 'back' });
    const seen: string[] = [];
    await syncUntil(carol, 'all 20 messages on C', (s) => {
      for (const e of timelineOf(s, roomId)) if (sent.includes(e.event_id) && !seen.includes(e.event_id)) seen.push(e.event_id);
      return seen.length === sent.length ? true : undefined;
    }, 90_000);
    const history = await call(carol, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
    const order = history.body.chunk.map((e: { event_id: string }) => e.event_id).filter((id: string) => sent.includes(id)).reverse();
    expect(order).toEqual(sent);
  }, 240_000);

  it('conflicting state written on both sides of a partition converges to the same resolved state', async () => {
    const alice = await register(aUrl, 'alice');
    const carol = await register(server!.baseUrl, 'carol');
    // In room version 12 the creator has unlimited power and may not be listed; carol gets 100.
    const roomId = await sharedRoom(alice, carol, { power_level_content_override: { users: { [carol.userId]: 100 } } });
    const topicOn = async (who: Account) => (await call(who, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic`)).body?.topic;
    await syncUntil(carol, 'the room on C', (s) => (s.rooms?.join?.[roomId] ? true : undefined));

    toA.cut();
    toC.cut();
    expect((await call(alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'from A' })).status).toBe(200);
    expect((await call(carol, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'from C' })).status).toBe(200);
    expect(await topicOn(alice)).toBe('from A');
    expect(await topicOn(carol)).toBe('from C');
    toA.heal();
    toC.heal();

    // Each side learns the other's topic event; both then resolve the fork the same way.
    await send(alice, roomId, { msgtype: 'm.text', body: 'healed (A)' });
    await send(carol, roomId, { msgtype: 'm.text', body: 'healed (C)' });
    const deadline = Date.now() + 120_000;
    let a: string | undefined;
    let c: string | undefined;
    for (;;) {
      [a, c] = await Promise.all([topicOn(alice), topicOn(carol)]);
      const aSawC = (await call(alice, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=20`)).body.chunk.some((e: { content?: { topic?: string } }) => e.content?.topic === 'from C');
      const cSawA = (await call(carol, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=20`)).body.chunk.some((e: { content?: { topic?: string } }) => e.content?.topic === 'from A');
      if (aSawC && cSawA && a === c) break;
      if (Date.now() > deadline) throw new Error(`no convergence: A has ${a} (saw C's: ${aSawC}), C has ${c} (saw A's: ${cSawA})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(['from A', 'from C']).toContain(a);
    expect(c).toBe(a);
  }, 240_000);
});
