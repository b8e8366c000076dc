// The two ways Myelin reaches Postgres, both through the production driver (@neondatabase/serverless):
//  - `pooledDb`: a Pool over WebSockets, held by a Durable Object across requests. Connecting costs
//    milliseconds (more against Neon), a query on an open connection ~0.1 ms, so every hot path that
//    touches the database runs inside a Durable Object that keeps its connection.
//  - `httpDb`: neon() over HTTP for one-off queries from the stateless Worker (no connection to keep;
//    no interactive transactions, only `batch`).
// In production NEON_WS_PROXY is unset and the driver talks to Neon. Locally it names the relay from
// scripts/lib/neon-relay.mjs, which forwards to the embedded Postgres: only configuration differs.
import { Pool, neon, neonConfig } from '@neondatabase/serverless';
import { drizzle as drizzleHttp } from 'drizzle-orm/neon-http';
import { drizzle as drizzlePool } from 'drizzle-orm/neon-serverless';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

export type Schema = typeof schema;
/** What query code accepts: either connection kind. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type PooledDb = ReturnType<typeof drizzlePool<Schema>>;

export interface DbEnv {
  DATABASE_URL: string;
  /** Local development and tests only: host:port of the WebSocket/HTTP relay. */
  NEON_WS_PROXY?: string;
}

let configuredProxy: string | undefined;
function configure(env: DbEnv): void {
  const proxy = env.NEON_WS_PROXY || undefined;
  if (configuredProxy === proxy) return;
  configuredProxy = proxy;
  if (!proxy) return; // production: Neon's defaults (wss and https to the database host)
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
  neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
  neonConfig.fetchEndpoint = () => `http://${proxy}/sql`;
}

function requireUrl(env: DbEnv): string {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not configured');
  return env.DATABASE_URL;
}

const httpCache = new Map<string, Db>();
export function httpDb(env: DbEnv): Db {
  configure(env);
  const url = requireUrl(env);
  let db = httpCache.get(url);
  if (!db) {
    db = drizzleHttp({ client: neon(url), schema }) as unknown as Db;
    httpCache.set(url, db);
  }
  return db;
}

/** A pool for one Durable Object. Small: each object serves one room or one user. */
export function pooledDb(env: DbEnv, max = 2): { db: PooledDb; pool: Pool } {
  configure(env);
  const pool = new Pool({ connectionString: requireUrl(env), max, idleTimeoutMillis: 120_000 });
  // Without a listener, a connection dropped by the server becomes an uncaught error event.
  pool.on('error', (e: Error) => console.warn(`[db] pool connection lost: ${e.message}`));
  return { db: drizzlePool({ client: pool, schema }), pool };
}

/**
 * A connection for one request of the stateless Worker that needs an interactive transaction (rare
 * paths: federation invites, rejected remote invites). A Worker may not reuse I/O across requests,
 * so the pool is closed when `fn` is done.
 */
export async function withRequestDb<T>(env: DbEnv, fn: (db: PooledDb) => Promise<T>): Promise<T> {
  const { db, pool } = pooledDb(env, 1);
  try {
    return await fn(db);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
