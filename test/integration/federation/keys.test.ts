// Server keys: our key document (with retired keys), the notary API (GET and POST
// /_matrix/key/v2/query) answering from its cache or fetching again, and key rotation: a retired key
// keeps verifying what it signed before it was retired, and nothing after.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config';
import { eq } from 'drizzle-orm';
import { httpDb } from '../../../src/db/client';
import { serverKeyResponses } from '../../../src/db/schema';
import { decodeBase64 } from '../../../src/matrix/base64';
import { hashAndSignEvent } from '../../../src/matrix/event-signing';
import { roomVersion } from '../../../src/matrix/room-versions';
import { generateSigningKeyText, parseSigningKey, verifyJsonSignature, type SigningKey } from '../../../src/matrix/signing';
import type { Pdu } from '../../../src/matrix/types';
import { hasValidSignatures } from '../../../src/services/federation/event-checks';
import { verifyKeyOf } from '../../../src/services/federation/keys';
import { call, SERVER_NAME } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { fakeServer, interceptFederation, type FakeServer } from './fake-server';

interceptFederation();

let ours: { keyId: string; key: Uint8Array };
beforeAll(async () => {
  const r = await call('GET', '/_matrix/key/v2/server');
  const [keyId, v] = Object.entries(r.body.verify_keys as Record<string, { key: string }>)[0];
  ours = { keyId, key: decodeBase64(v.key) };
});

/** Makes the notary's copy of a server's document look fetched an hour ago. */
async function age(server: string): Promise<void> {
  await httpDb(env as unknown as Env).update(serverKeyResponses).set({ fetchedTs: Date.now() - 3600_000 }).where(eq(serverKeyResponses.serverName, server));
}

const signedBy = (doc: Record<string, unknown>, server: string, keyId: string, key: Uint8Array) => verifyJsonSignature(doc, server, keyId, key);

describe('GET /_matrix/key/v2/server', () => {
  it('publishes the current key, signed by it, valid for a while', async () => {
    const r = await call('GET', '/_matrix/key/v2/server');
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/key/v2/server', 200, r.body);
    expect(r.body.server_name).toBe(SERVER_NAME);
    expect(r.body.old_verify_keys).toEqual({});
    expect(r.body.valid_until_ts).toBeGreaterThan(Date.now());
    expect(await signedBy(r.body, SERVER_NAME, ours.keyId, ours.key)).toBe(true);
  });

  it('publishes retired keys from OLD_VERIFY_KEYS with their expiry', async () => {
    const old = await parseSigningKey(generateSigningKeyText('old1'));
    const r = await call('GET', '/_matrix/key/v2/server', { vars: { OLD_VERIFY_KEYS: `ed25519:old1=${old.publicKeyBase64}@1700000000000` } });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/key/v2/server', 200, r.body);
    expect(r.body.old_verify_keys).toEqual({ 'ed25519:old1': { key: old.publicKeyBase64, expired_ts: 1700000000000 } });
    expect(await signedBy(r.body, SERVER_NAME, ours.keyId, ours.key)).toBe(true);
  });

  it('refuses to start with a malformed OLD_VERIFY_KEYS', async () => {
    const r = await call('GET', '/_matrix/key/v2/server', { vars: { OLD_VERIFY_KEYS: 'ed25519:x=notakey' } });
    expect(r.status).toBe(500);
  });
});

describe('GET /_matrix/key/v2/query/{serverName}', () => {
  let remote: FakeServer;
  beforeAll(async () => {
    remote = await fakeServer();
  });
  const query = (server: string, min?: number) =>
    call('GET', `/_matrix/key/v2/query/${encodeURIComponent(server)}${min === undefined ? '' : `?minimum_valid_until_ts=${min}`}`, { vars: remote.vars });

  it('answers for this server with its own document', async () => {
    const r = await query(SERVER_NAME);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/key/v2/query/{serverName}', 200, r.body);
    expect(r.body.server_keys).toHaveLength(1);
    const doc = r.body.server_keys[0];
    expect(doc.server_name).toBe(SERVER_NAME);
    expect(doc.verify_keys[ours.keyId].key).toBeDefined();
    expect(await signedBy(doc, SERVER_NAME, ours.keyId, ours.key)).toBe(true);
  });

  it("fetches a remote server's document once, signs it too, and then answers from the cache", async () => {
    const before = remote.keyFetches;
    const r = await query(remote.name);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/key/v2/query/{serverName}', 200, r.body);
    expect(r.body.server_keys).toHaveLength(1);
    const doc = r.body.server_keys[0];
    expect(doc.server_name).toBe(remote.name);
    expect(doc.verify_keys[remote.key.keyId].key).toBe(remote.key.publicKeyBase64);
    expect(await signedBy(doc, remote.name, remote.key.keyId, remote.key.publicKey)).toBe(true);
    expect(await signedBy(doc, SERVER_NAME, ours.keyId, ours.key)).toBe(true);
    expect(remote.keyFetches).toBe(before + 1);

    const again = await query(remote.name);
    expect(again.body.server_keys[0].valid_until_ts).toBe(doc.valid_until_ts);
    expect(remote.keyFetches).toBe(before + 1);
  });

  it('fetches again when the cached document expires before minimum_valid_until_ts, at most once a minute', async () => {
    const first = await query(remote.name);
    const cachedUntil = first.body.server_keys[0].valid_until_ts as number;
    const before = remote.keyFetches;
    // Fetched just now: not again, whatever the asker wants.
    expect((await query(remote.name, cachedUntil + 1000)).body.server_keys[0].valid_until_ts).toBe(cachedUntil);
    expect(remote.keyFetches).toBe(before);
    await age(remote.name);
    remote.keyDocument = (now) => ({
      server_name: remote.name,
      verify_keys: { [remote.key.keyId]: { key: remote.key.publicKeyBase64 } },
      old_verify_keys: {},
      valid_until_ts: now + 7 * 24 * 3600_000,
    });
    const r = await query(remote.name, cachedUntil + 1000);
    expect(r.status).toBe(200);
    expect(remote.keyFetches).toBe(before + 1);
    expect(r.body.server_keys[0].valid_until_ts).toBeGreaterThan(cachedUntil + 1000);
    expect(await signedBy(r.body.server_keys[0], SERVER_NAME, ours.keyId, ours.key)).toBe(true);
  });

  it('returns the cached document when the server cannot be reached, and nothing for an unknown one', async () => {
    const cached = (await query(remote.name)).body.server_keys[0];
    await age(remote.name);
    remote.keysOffline = true;
    try {
      const r = await query(remote.name, cached.valid_until_ts + 3600_000);
      expect(r.status).toBe(200);
      expect(r.body.server_keys).toHaveLength(1);
      expect(r.body.server_keys[0].valid_until_ts).toBe(cached.valid_until_ts);

      const fresh = await fakeServer();
      fresh.keysOffline = true;
      const none = await call('GET', `/_matrix/key/v2/query/${fresh.name}`, { vars: fresh.vars });
      expect(none.status).toBe(200);
      expectSpec('GET /_matrix/key/v2/query/{serverName}', 200, none.body);
      expect(none.body.server_keys).toEqual([]);
    } finally {
      remote.keysOffline = false;
    }
  });

  it('does not vouch for a document that its server did not sign', async () => {
    const liar = await fakeServer();
    const other = await parseSigningKey(generateSigningKeyText());
    // Lists a key it did not sign with.
    liar.keyDocument = (now) => ({ server_name: liar.name, verify_keys: { [other.keyId]: { key: other.publicKeyBase64 } }, old_verify_keys: {}, valid_until_ts: now + 3600_000 });
    const r = await call('GET', `/_matrix/key/v2/query/${liar.name}`, { vars: liar.vars });
    expect(r.status).toBe(200);
    expect(r.body.server_keys).toEqual([]);
  });

  it('refuses an invalid server name or timestamp', async () => {
    const bad = await call('GET', '/_matrix/key/v2/query/not%20a%20server');
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const ts = await call('GET', `/_matrix/key/v2/query/${SERVER_NAME}?minimum_valid_until_ts=soon`);
    expect(ts.status).toBe(400);
    expect(ts.body.errcode).toBe('M_INVALID_PARAM');
  });
});

describe('POST /_matrix/key/v2/query', () => {
  it('answers for several servers at once and leaves out those without keys', async () => {
    const a = await fakeServer();
    const b = await fakeServer();
    const vars = { FEDERATION_RESOLVE: `${a.vars.FEDERATION_RESOLVE},${b.vars.FEDERATION_RESOLVE}` };
    b.keysOffline = true;
    const r = await call('POST', '/_matrix/key/v2/query', {
      vars,
      body: { server_keys: { [SERVER_NAME]: {}, [a.name]: { [a.key.keyId]: { minimum_valid_until_ts: Date.now() } }, [b.name]: {}, 'unlisted.test': {} } },
    });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/key/v2/query', 200, r.body);
    const names = (r.body.server_keys as { server_name: string }[]).map((d) => d.server_name).sort();
    expect(names).toEqual([SERVER_NAME, a.name].sort());
    for (const doc of r.body.server_keys) expect(await signedBy(doc, SERVER_NAME, ours.keyId, ours.key)).toBe(true);
  });

  it('answers an empty query with no keys', async () => {
    const r = await call('POST', '/_matrix/key/v2/query', { body: { server_keys: {} } });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/key/v2/query', 200, r.body);
    expect(r.body.server_keys).toEqual([]);
  });

  it('refuses bodies of the wrong shape', async () => {
    const missing = await call('POST', '/_matrix/key/v2/query', { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_BAD_JSON');
    const badTs = await call('POST', '/_matrix/key/v2/query', { body: { server_keys: { [SERVER_NAME]: { 'ed25519:x': { minimum_valid_until_ts: 'later' } } } } });
    expect(badTs.status).toBe(400);
    expect(badTs.body.errcode).toBe('M_BAD_JSON');
    const notJson = await call('POST', '/_matrix/key/v2/query', { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    const badName = await call('POST', '/_matrix/key/v2/query', { body: { server_keys: { 'bad name': {} } } });
    expect(badName.status).toBe(400);
    expect(badName.body.errcode).toBe('M_INVALID_PARAM');
  });
});

describe('key rotation', () => {
  async function event(server: FakeServer, key: SigningKey, ts: number): Promise<Pdu> {
    const pdu = {
      room_id: '!rotation:' + server.name,
      sender: server.user('alice'),
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: `at ${ts}` },
      origin_server_ts: ts,
      depth: 5,
      prev_events: [],
      auth_events: [],
    };
    return (await hashAndSignEvent(pdu, roomVersion('10'), server.name, key)) as unknown as Pdu;
  }

  it("verifies events signed by a remote server's retired key only before the key's expiry", async () => {
    const remote = await fakeServer();
    const old = await parseSigningKey(generateSigningKeyText('retired'));
    const expiredTs = Date.now() - 60_000;
    remote.keyDocument = (now) => ({
      server_name: remote.name,
      verify_keys: { [remote.key.keyId]: { key: remote.key.publicKeyBase64 } },
      old_verify_keys: { [old.keyId]: { key: old.publicKeyBase64, expired_ts: expiredTs } },
      valid_until_ts: now + 24 * 3600_000,
    });
    const e = env as unknown as Env;
    const db = httpDb(e);
    const v10 = roomVersion('10');
    expect(await hasValidSignatures(e, db, v10, await event(remote, old, expiredTs - 5_000))).toBeUndefined();
    expect(await hasValidSignatures(e, db, v10, await event(remote, old, expiredTs + 5_000))).toMatch(/no valid signature/);
    expect(await hasValidSignatures(e, db, v10, await event(remote, remote.key, Date.now()))).toBeUndefined();
    // A key the server never published verifies nothing.
    const stranger = await parseSigningKey(generateSigningKeyText('stranger'));
    expect(await hasValidSignatures(e, db, v10, await event(remote, stranger, expiredTs - 5_000))).toMatch(/no valid signature/);
  });

  it('keeps verifying what our own retired key signed before its expiry', async () => {
    const old = await parseSigningKey(generateSigningKeyText('ours_old'));
    const expiredTs = Date.now() - 60_000;
    const e = { ...(env as unknown as Env), OLD_VERIFY_KEYS: `${old.keyId}=${old.publicKeyBase64}@${expiredTs}` };
    const db = httpDb(e);
    expect(await verifyKeyOf(e, db, SERVER_NAME, old.keyId, expiredTs - 1)).toEqual(old.publicKey);
    expect(await verifyKeyOf(e, db, SERVER_NAME, old.keyId, expiredTs + 1)).toBeUndefined();
    expect(await verifyKeyOf(e, db, SERVER_NAME, ours.keyId)).toEqual(ours.key);
  });
});
