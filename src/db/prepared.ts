// Hot, complex statements as named prepared statements. Postgres plans an unnamed statement again on
// every execution; for the /sync snapshot (a dozen CTEs and subqueries) planning took ~3 ms of
// database CPU against ~1 ms to run it, and a message to a room of 32 wakes 32 such syncs at once.
// Named, a statement is parsed once per connection, and after a few executions Postgres may keep
// one generic plan for it. The name is a hash of the text, so that another text never reuses it.
// Their text is built once (preparedStatement), not on every run.
// Only for statements whose planning outweighs execution: a named statement costs the driver
// more CPU per run, which made the send path's simple statements ~20% dearer (rooms bench).
import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { PgDialect, PgPreparedQuery, PgSession, PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Db } from './client';

/** A 53-bit hash of the statement text (cyrb53), as a statement name. */
function statementName(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `m${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

export type Placeholders<P> = { [K in keyof P]: Placeholder<K & string, P[K]> };

/**
 * A statement whose text is built once: `build` writes it with a placeholder for each parameter
 * (`p.name`), and each run binds values by name. Building the text with drizzle's sql`` on every
 * run cost ~0.1 ms of CPU on these hot paths. Prepared once per connection pool, under a name.
 */
export function preparedStatement<P extends Record<string, unknown>>(build: (p: Placeholders<P>) => SQL): (db: Pick<Db, 'execute'>, params: P) => Promise<unknown> {
  const placeholders = new Proxy({} as Placeholders<P>, { get: (_, key) => sql.placeholder(String(key)) });
  let built: { sql: string; params: unknown[] } | undefined;
  let name = '';
  // Drizzle's execute() has no way to name the statement; its session's prepareQuery() has.
  const bySession = new WeakMap<object, PgPreparedQuery<PreparedQueryConfig>>();
  return (db, params) => {
    const { dialect, session } = db as unknown as { dialect: PgDialect; session: PgSession };
    if (!built) {
      built = dialect.sqlToQuery(build(placeholders));
      name = statementName(built.sql);
    }
    let prepared = bySession.get(session);
    if (!prepared) bySession.set(session, (prepared = session.prepareQuery(built, undefined, name, false)));
    return prepared.execute(params);
  };
}
