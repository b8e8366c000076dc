// Received transactions, answered once (spec: server-server "Transactions": a transaction is
// identified by origin and txnId; a retry gets the first result). The (origin, txnId) row is
// claimed with one atomic insert before any processing, so two copies arriving at once are never
// both processed: the second waits for the first's stored response. A row whose response has no
// `pdus` yet is a claim in progress; a failed attempt removes its claim, and a claim left behind
// by a Worker that died is taken over once stale.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';

/** Remembered results of received transactions, for retries. */
const TXN_MEMORY_MS = 24 * 3600_000;
/**
 * A claim older than this was most likely abandoned (its Worker died, e.g. the server stopped
 * mid-transaction): a retry takes it over. The sender gave up on that request long before (its
 * timeout is about as long), and should a slow original still be running, processing twice only
 * costs work: PDUs are idempotent by event id, EDUs by their own ids or by nature.
 */
export const CLAIM_STALE_MS = 30_000;
/** How long a copy waits for the claimed original, below the senders' request timeouts. */
const WAIT_MS = 20_000;
const POLL_MS = 200;

export type TxnResponse = { pdus: Record<string, unknown> };
type ClaimResult = { claimed: true } | { claimed: false; response?: TxnResponse };

const isDone = (r: unknown): r is TxnResponse => typeof r === 'object' && r !== null && 'pdus' in r;

async function tryClaim(db: Db, origin: string, txnId: string, now: number): Promise<ClaimResult> {
  // The sub-select sees the row as it was before this statement (no row for a fresh claim).
  const r = (await db.execute(sql`
    with c as (
      insert into received_transactions (origin, txn_id, response, received_ts) values (${origin}, ${txnId}, '{}'::jsonb, ${now})
      on conflict (origin, txn_id) do update set received_ts = excluded.received_ts
        where received_transactions.response -> 'pdus' is null and received_transactions.received_ts < ${now - CLAIM_STALE_MS}
      returning 1)
    select exists (select 1 from c) as claimed,
      (select response from received_transactions where origin = ${origin} and txn_id = ${txnId}) as response`)) as unknown as { rows: { claimed: boolean; response: unknown }[] };
  const row = r.rows[0];
  if (row.claimed) return { claimed: true };
  return { claimed: false, response: isDone(row.response) ? row.response : undefined };
}

/**
 * Claims (origin, txnId) for processing, or returns the response of the copy processed before
 * (waiting for one in progress, and taking over its claim if it goes away or goes stale).
 * `claimed: false` without a response: the original is still running; the sender retries later.
 */
export async function claimTransaction(db: Db, origin: string, txnId: string): Promise<ClaimResult> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const c = await tryClaim(db, origin, txnId, Date.now());
    if (c.claimed || c.response) return c;
    if (Date.now() > deadline) return { claimed: false };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

let lastCleanup = 0;

/** Stores the response of a claimed transaction (and, once a minute, forgets old ones). */
export async function completeTransaction(db: Db, origin: string, txnId: string, response: TxnResponse): Promise<void> {
  const now = Date.now();
  await db.execute(sql`update received_transactions set response = ${JSON.stringify(response)}::jsonb where origin = ${origin} and txn_id = ${txnId}`);
  if (now - lastCleanup > 60_000) {
    lastCleanup = now;
    await db.execute(sql`delete from received_transactions where received_ts < ${now - TXN_MEMORY_MS}`);
  }
}

/** Gives up a claim whose processing failed, so that the sender's retry is processed. */
export async function releaseTransaction(db: Db, origin: string, txnId: string): Promise<void> {
  await db.execute(sql`delete from received_transactions where origin = ${origin} and txn_id = ${txnId} and response -> 'pdus' is null`);
}
