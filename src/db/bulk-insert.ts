// Many-row INSERTs on hot paths as one statement with one array parameter per column (unnest).
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
  if (rows.length === 0) return;
  const columns = Object.entries(getTableColumns(table)).filter(([key]) => key in (rows[0] as object));
  const names = sql.join(columns.map(([, c]) => sql.identifier(c.name)), sql`, `);
  const arrays = sql.join(
    columns.map(([key, c]) => {
      // Array elements go as text and are cast back: jsonb[] literals would need a second escaping.
      const type = c.getSQLType();
      const values = rows.map((r) => {
        const v = (r as Record<string, unknown>)[key];
        return v === null || v === undefined ? null : c.mapToDriverValue(v);
      });
      return sql`${sql.param(values)}::${sql.raw(type === 'jsonb' ? 'text' : type)}[]`;
    }),
    sql`, `,
  );
  const casts = sql.join(columns.map(([, c], i) => sql.raw(c.getSQLType() === 'jsonb' ? `c${i}::jsonb` : `c${i}`)), sql`, `);
  const aliases = sql.raw(columns.map((_, i) => `c${i}`).join(', '));
  await db.execute(sql`insert into ${sql.identifier(getTableName(table))} (${names}) select ${casts} from unnest(${arrays}) as x(${aliases}) ${tail ?? sql``}`);
}
