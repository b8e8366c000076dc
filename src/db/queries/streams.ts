// Stream positions for sync. Events: the events table's own stream_pos (see rooms.ts). Misc: one
// sequence shared by account data, receipts, presence, to-device and device-list changes.
import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { streamHeads } from '../schema';

const MISC_LOCK = 0x6d697363; // "misc"

/** The transaction type of either driver: anything with execute() and insert(). */
type Tx = Pick<Db, 'execute' | 'insert'>;

/**
 * Takes `n` misc positions, in order, and publishes them as the head. Call it as the last step of
 * a transaction (the lock is held until commit), then write the rows that carry the positions.
 */
export async function takeMiscPositions(tx: Tx, n = 1): Promise<number[]> {
  // One statement: lock, positions and head, so the lock adds a single round trip before commit.
  const r = (await tx.execute(sql`
    with l as materialized (select pg_advisory_xact_lock(${MISC_LOCK}) as locked),
    p as materialized (select nextval('misc_stream')::bigint as pos from l, generate_series(1, ${n})),
    h as (insert into ${streamHeads} (name, pos) select 'misc', max(pos) from p
          on conflict (name) do update set pos = greatest(${streamHeads.pos}, excluded.pos) returning 1)
    select pos from p order by pos`)) as unknown as { rows: { pos: string }[] };
  return r.rows.map((x) => Number(x.pos));
}

export interface Heads {
  /** Last committed event position. */
  e: number;
  /** Last committed misc position. */
  m: number;
}

export async function currentHeads(db: Db): Promise<Heads> {
  const r = (await db.execute(sql`
    select (select coalesce(max(stream_pos), 0) from events) as e,
           (select coalesce(max(pos), 0) from stream_heads where name = 'misc') as m`)) as unknown as { rows: { e: string; m: string }[] };
  return { e: Number(r.rows[0].e), m: Number(r.rows[0].m) };
}
