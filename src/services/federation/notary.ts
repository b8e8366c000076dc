// Publishing our keys and vouching for other servers' (spec: server-server "Publishing Keys" and
// "Querying Keys Through Another Server"). As a notary we answer from the key documents we hold,
// fetching a server's document again when ours expires before the time the asker needs, and
// falling back to the cached one when the server cannot be reached. Every document we return
// carries our signature besides its own server's.
import { eq, inArray } from 'drizzle-orm';
import type { Config, Env } from '../../config';
import type { Db } from '../../db/client';
import { serverKeyResponses } from '../../db/schema';
import { signJson } from '../../matrix/signing';
import { fetchKeyDocument } from './keys';
import { serverSigningKey } from './server-key';

/** How long other servers may cache our key document; Synapse publishes a day. */
const VALIDITY_MS = 24 * 60 * 60 * 1000;
/**
 * A document is fetched again at most this often, however far ahead askers want keys to be valid:
 * the notary API is unauthenticated, and must not become a way to make us hammer a server.
 */
const MIN_REFETCH_INTERVAL_MS = 60_000;

interface Cached {
  doc: Record<string, unknown>;
  fetchedTs: number;
}

/** Our own key document, signed: the current key and the retired ones (OLD_VERIFY_KEYS). */
export async function ownKeyDocument(env: Env, config: Config, now = Date.now()): Promise<Record<string, unknown>> {
  const key = await serverSigningKey(env);
  const oldKeys: Record<string, { key: string; expired_ts: number }> = {};
  for (const k of config.oldVerifyKeys) oldKeys[k.keyId] = { key: k.key, expired_ts: k.expiredTs };
  const doc = {
    server_name: config.serverName,
    verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
    old_verify_keys: oldKeys,
    valid_until_ts: now + VALIDITY_MS,
  };
  return signJson(doc, config.serverName, key);
}

/** The document of `server` valid until at least `minValidUntil`: fetched again if ours expires earlier. */
async function documentOf(env: Env, db: Db, server: string, minValidUntil: number, cached: Cached | undefined): Promise<Record<string, unknown> | undefined> {
  if (cached && ((cached.doc.valid_until_ts as number) >= minValidUntil || Date.now() - cached.fetchedTs < MIN_REFETCH_INTERVAL_MS)) return cached.doc;
  try {
    const fresh = await fetchKeyDocument(env, db, server);
    if (fresh) return fresh;
  } catch (e) {
    console.warn(`[notary] fetching the keys of ${server} failed: ${e}`);
  }
  // An unreachable server's last known keys are still worth returning (the asker decides).
  return cached?.doc;
}

/**
 * Key documents for the servers asked about (server → the time the keys should be valid until),
 * each signed by us. Servers we cannot get keys for are left out.
 */
export async function notaryQuery(env: Env, db: Db, config: Config, wanted: Map<string, number>): Promise<Record<string, unknown>[]> {
  const others = [...wanted.keys()].filter((s) => s !== config.serverName);
  const rows = others.length ? await db.select().from(serverKeyResponses).where(others.length === 1 ? eq(serverKeyResponses.serverName, others[0]) : inArray(serverKeyResponses.serverName, others)) : [];
  const cached = new Map(rows.map((r): [string, Cached] => [r.serverName, { doc: r.response, fetchedTs: r.fetchedTs }]));
  const key = await serverSigningKey(env);
  const docs = await Promise.all(
    [...wanted].map(async ([server, minValidUntil]) => {
      if (server === config.serverName) return ownKeyDocument(env, config);
      const doc = await documentOf(env, db, server, minValidUntil, cached.get(server));
      return doc && signJson(doc, config.serverName, key);
    }),
  );
  return docs.filter((d): d is Record<string, unknown> => d !== undefined);
}
