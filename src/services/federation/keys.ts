// Remote servers' signing keys (spec: "Retrieving server keys"): fetched from the server itself,
// checked to be signed by the key they publish, cached in isolate memory and in Postgres, and
// refetched when a signature needs a key valid later than what is cached.
import { and, eq } from 'drizzle-orm';
import type { Env } from '../../config';
import { config } from '../../config';
import type { Db } from '../../db/client';
import { serverKeyResponses, serverKeys } from '../../db/schema';
import { decodeBase64 } from '../../matrix/base64';
import { verifyJsonSignature } from '../../matrix/signing';
import { serverSigningKey } from './server-key';
import { federationResolver, plainFetch } from './client';

interface CachedKey {
  key: Uint8Array;
  validUntilTs: number;
  expiredTs: number | null;
}

const memory = new Map<string, CachedKey>();
const memoryKey = (server: string, keyId: string) => `${server}\u0000${keyId}`;

/** Whether a key may verify something signed at `atTs` (now for requests, origin_server_ts for events). */
function usable(k: CachedKey, atTs: number): boolean {
  return k.expiredTs !== null ? atTs < k.expiredTs : k.validUntilTs >= atTs;
}

async function fromDb(db: Db, server: string, keyId: string): Promise<CachedKey | undefined> {
  const [row] = await db.select().from(serverKeys).where(and(eq(serverKeys.serverName, server), eq(serverKeys.keyId, keyId)));
  if (!row) return undefined;
  return { key: decodeBase64(row.verifyKey), validUntilTs: row.validUntilTs, expiredTs: row.expiredTs };
}

/** Validates a server's own key document: right name, signed by every key it lists as current. */
export async function checkKeyDocument(doc: Record<string, unknown>, server: string): Promise<boolean> {
  if (doc.server_name !== server || typeof doc.valid_until_ts !== 'number') return false;
  const verifyKeys = doc.verify_keys as Record<string, { key?: unknown }> | undefined;
  if (!verifyKeys || typeof verifyKeys !== 'object' || Object.keys(verifyKeys).length === 0) return false;
  for (const [keyId, v] of Object.entries(verifyKeys)) {
    if (typeof v?.key !== 'string') return false;
    if (!(await verifyJsonSignature(doc, server, keyId, decodeBase64(v.key)))) return false;
  }
  return true;
}

/** Stores a validated key document: its current and old keys, and the document itself. */
export async function storeKeyDocument(db: Db, server: string, doc: Record<string, unknown>, now = Date.now()): Promise<void> {
  const validUntil = doc.valid_until_ts as number;
  const rows: (typeof serverKeys.$inferInsert)[] = [];
  for (const [keyId, v] of Object.entries(doc.verify_keys as Record<string, { key: string }>)) {
    rows.push({ serverName: server, keyId, verifyKey: v.key, validUntilTs: validUntil, expiredTs: null, fetchedTs: now });
  }
  for (const [keyId, v] of Object.entries((doc.old_verify_keys ?? {}) as Record<string, { key?: unknown; expired_ts?: unknown }>)) {
    if (typeof v?.key === 'string' && typeof v.expired_ts === 'number') {
      rows.push({ serverName: server, keyId, verifyKey: v.key, validUntilTs: v.expired_ts, expiredTs: v.expired_ts, fetchedTs: now });
    }
  }
  for (const r of rows) {
    await db
      .insert(serverKeys)
      .values(r)
      .onConflictDoUpdate({ target: [serverKeys.serverName, serverKeys.keyId], set: { verifyKey: r.verifyKey, validUntilTs: r.validUntilTs, expiredTs: r.expiredTs, fetchedTs: now } });
    memory.set(memoryKey(server, r.keyId), { key: decodeBase64(r.verifyKey), validUntilTs: r.validUntilTs, expiredTs: r.expiredTs ?? null });
  }
  await db
    .insert(serverKeyResponses)
    .values({ serverName: server, response: doc, validUntilTs: validUntil, fetchedTs: now })
    .onConflictDoUpdate({ target: serverKeyResponses.serverName, set: { response: doc, validUntilTs: validUntil, fetchedTs: now } });
}

/** Fetches a server's key document directly from it (GET /_matrix/key/v2/server). */
export async function fetchKeyDocument(env: Env, db: Db, server: string): Promise<Record<string, unknown> | undefined> {
  const { baseUrl } = await federationResolver(env)(server);
  const res = await plainFetch(`${baseUrl}/_matrix/key/v2/server`);
  if (!res.ok) return undefined;
  const doc = (await res.json()) as Record<string, unknown>;
  if (!(await checkKeyDocument(doc, server))) return undefined;
  await storeKeyDocument(db, server, doc);
  return doc;
}

/**
 * The public key a server signed with, usable at `atTs`, or undefined if it cannot be had.
 * Our own key is answered locally.
 */
export async function verifyKeyOf(env: Env, db: Db, server: string, keyId: string, atTs = Date.now()): Promise<Uint8Array | undefined> {
  if (server === config(env).serverName) {
    const own = await serverSigningKey(env);
    if (own.keyId === keyId) return own.publicKey;
    // A retired key of ours still verifies what it signed before it was retired.
    const old = config(env).oldVerifyKeys.find((k) => k.keyId === keyId);
    return old && atTs < old.expiredTs ? decodeBase64(old.key) : undefined;
  }
  const mk = memoryKey(server, keyId);
  let k = memory.get(mk);
  if (k && usable(k, atTs)) return k.key;
  k = await fromDb(db, server, keyId);
  if (k) memory.set(mk, k);
  if (k && usable(k, atTs)) return k.key;
  try {
    await fetchKeyDocument(env, db, server);
  } catch {
    return undefined;
  }
  k = memory.get(mk);
  return k && usable(k, atTs) ? k.key : undefined;
}
