// Many-row INSERTs on hot paths as one statement with one array parameter per column (unnest),
// and independent writes combined into one statement.
// Drizzle's insert builder spends CPU on every parameter (rows × columns): on the send path, where a
// group commit writes events, edges and one push action per member and event, it was most of the
// RoomDO's CPU. Here the statement text depends only on the columns, and each column is one parameter.
import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './client';

/**
 * Inserts `rows` into `table`. Every row must set the same columns (a column some rows leave out
 * would be null in them, not its default). `tail` follows the SELECT, e.g. `on conflict do nothing`.
 */
export async function bulkInsert<T extends PgTable>(db: Pick<Db, 'execute'>, table: T, rows: T['$inferInsert'][], tail?: SQL): Promise<void> {
  const statement = bulkInsertSql(table, rows, tail);
  if (statement) await db.execute(statement);
}

/** The statement of `bulkInsert`, to combine with others (undefined when there is no row). */
export function bulkInsertSql<T extends PgTable>(table: T, rows: T['$inferInsert'][], tail?: SQL): SQL | undefined {
  if (rows.length === 0) return undefined;
  const u = unnestRows(table, rows);
  return sql`insert into ${sql.identifier(getTableName(table))} (${u.names}) select ${u.values} from ${u.source} ${tail ?? sql``}`;
}

/**
 * The rows as a relation `x` with one array parameter per column: `names` (the table's column
 * names), `values` (the select list in that order), `source` (the FROM item), and `alias(key)`,
 * the relation's column for a field, to join on.
 */
export function unnestRows<T extends PgTable>(table: T, rows: Partial<T['$inferInsert']>[]) {
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key in (rows[0] as object));
  const arrays = sql.join(
    columns.map(([key, c]) => {
      // Array elements go as text and are cast back: jsonb[] literals would need a second escaping.
      const type = arrayElementType(c.getSQLType());
      const values = rows.map((r) => {
        const v = (r as Record<string, unknown>)[key];
        return v === null || v === undefined ? null : c.mapToDriverValue(v);
      });
      return sql`${sql.param(values)}::${sql.raw(type)}[]`;
    }),
    sql`, `,
  );
  const aliases = sql.raw(columns.map((_, i) => `c${i}`).join(', '));
  return {
    names: sql.join(columns.map(([, c]) => sql.identifier(c.name)), sql`, `),
    values: sql.join(columns.map(([, c], i) => sql.raw(c.getSQLType() === 'jsonb' ? `x.c${i}::jsonb` : `x.c${i}`)), sql`, `),
    source: sql`unnest(${arrays}) as x(${aliases})`,
    alias: (key: string) => {
      const i = columns.findIndex(([k]) => k === key);
      if (i < 0) throw new Error(`unnestRows: no column ${key}`);
      return sql.raw(`x.c${i}`);
    },
  };
}

/** The type of an array parameter holding a column's values: serial types are their integers. */
function arrayElementType(type: string): string {
  if (type === 'jsonb') return 'text';
  return { bigserial: 'bigint', serial: 'integer', smallserial: 'smallint' }[type] ?? type;
}

/**
 * Independent writes as one statement of data-modifying CTEs: one round trip instead of one each.
 * They all see the same snapshot, so none may depend on another's effect or touch its rows.
 */
export async function executeTogether(db: Pick<Db, 'execute'>, statements: (SQL | undefined)[]): Promise<void> {
  const parts = statements.filter((s): s is SQL => s !== undefined);
  if (parts.length === 0) return;
  if (parts.length === 1) {
    await db.execute(parts[0]);
    return;
  }
  await db.execute(sql`with ${sql.join(parts.map((p, i) => sql`${sql.raw(`w${i}`)} as (${p})`), sql`, `)} select 1`);
}
