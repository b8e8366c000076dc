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
  await tx.execute(sql`select pg_advisory_xact_lock(${MISC_LOCK})`);
  const r = (await tx.execute(sql`select nextval('misc_stream')::bigint as p from generate_series(1, ${n})`)) as unknown as { rows: { p: string }[] };
  const positions = r.rows.map((x) => Number(x.p)).sort((a, b) => a - b);
  const head = positions[positions.length - 1];
  await tx
    .insert(streamHeads)
    .values({ name: 'misc', pos: head })
    .onConflictDoUpdate({ target: streamHeads.name, set: { pos: sql`greatest(${streamHeads.pos}, excluded.pos)` } });
  return positions;
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
