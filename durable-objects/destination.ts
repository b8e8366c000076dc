// DestinationDO: the federation sender for one remote server (addressed by idFromName(serverName)).
// PDUs and EDUs wait in the object's own SQLite storage, so nothing is lost when the object is
// evicted or the remote is down for a day; one transaction is in flight at a time, with at most
// 50 PDUs and 100 EDUs; failures back off exponentially through the object's alarm.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/config';
import { config } from '../src/config';
import { federationRequest, RemoteError } from '../src/services/federation/client';

const MAX_PDUS = 50;
const MAX_EDUS = 100;
const FIRST_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 60 * 60_000;

export interface OutgoingItem {
  kind: 'pdu' | 'edu';
  body: Record<string, unknown>;
  /** EDUs that are worthless later (typing) are dropped once this time has passed. */
  expiresTs?: number;
}

export class DestinationDO extends DurableObject<Env> {
  #sql: SqlStorage;
  #sending = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`create table if not exists queue (seq integer primary key autoincrement, kind text not null, body text not null, expires_ts integer)`);
    this.#sql.exec(`create table if not exists meta (k text primary key, v text not null)`);
  }

  #meta(k: string): string | undefined {
    return this.#sql.exec<{ v: string }>('select v from meta where k = ?', k).toArray()[0]?.v;
  }
  #setMeta(k: string, v: string | undefined): void {
    if (v === undefined) this.#sql.exec('delete from meta where k = ?', k);
    else this.#sql.exec('insert into meta (k, v) values (?, ?) on conflict (k) do update set v = excluded.v', k, v);
  }

  /** Queues items for `destination` and starts sending unless a backoff is running. */
  async enqueue(destination: string, items: OutgoingItem[]): Promise<void> {
    this.#setMeta('destination', destination);
    for (const it of items) this.#sql.exec('insert into queue (kind, body, expires_ts) values (?, ?, ?)', it.kind, JSON.stringify(it.body), it.expiresTs ?? null);
    if (this.#meta('retry_at') === undefined) await this.ctx.storage.setAlarm(Date.now());
  }

  /** The remote server just contacted us, so it is up: end any backoff and send what waits. */
  async flush(): Promise<void> {
    if (this.#meta('retry_at') === undefined) return;
    this.#setMeta('retry_at', undefined);
    this.#setMeta('backoff_ms', undefined);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** How many items wait (for tests and operators). */
  pending(): number {
    return this.#sql.exec<{ n: number }>('select count(*) as n from queue').one().n;
  }

  override async alarm(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (await this.#sendOne()) {
        // keep going while transactions succeed and items remain
      }
    } finally {
      this.#sending = false;
    }
  }

  /**
   * One transaction; true if it went through and more may be waiting. A retry resends the stored
   * transaction unchanged: the receiver may have applied the first attempt and lost only the
   * answer, and it would then take a same-id transaction with more items for a replay.
   */
  async #sendOne(): Promise<boolean> {
    const destination = this.#meta('destination');
    if (!destination) return false;
    const now = Date.now();
    let txn = this.#meta('txn');
    let body: Record<string, unknown>;
    let sent: number[];
    const inFlight = txn ? this.#meta('txn_body') : undefined;
    if (txn && inFlight) {
      body = JSON.parse(inFlight);
      sent = JSON.parse(this.#meta('txn_seqs') ?? '[]');
    } else {
      this.#sql.exec('delete from queue where expires_ts is not null and expires_ts < ?', now);
      const pdus = this.#sql.exec<{ seq: number; body: string }>("select seq, body from queue where kind = 'pdu' order by seq limit ?", MAX_PDUS).toArray();
      const edus = this.#sql.exec<{ seq: number; body: string }>("select seq, body from queue where kind = 'edu' order by seq limit ?", MAX_EDUS).toArray();
      if (pdus.length === 0 && edus.length === 0) return false;
      txn = `${now}_${pdus[0]?.seq ?? edus[0].seq}`;
      body = {
        origin: config(this.env).serverName,
        origin_server_ts: now,
        pdus: pdus.map((p) => JSON.parse(p.body)),
        edus: edus.map((e) => JSON.parse(e.body)),
      };
      sent = [...pdus, ...edus].map((r) => r.seq);
      this.#setMeta('txn', txn);
      this.#setMeta('txn_body', JSON.stringify(body));
      this.#setMeta('txn_seqs', JSON.stringify(sent));
    }
    try {
      const answer = await federationRequest<{ pdus?: Record<string, { error?: string }> }>(this.env, destination, 'PUT', `/_matrix/federation/v1/send/${encodeURIComponent(txn)}`, body);
      // Refused PDUs are not retried (the receiver judged them); they are worth a line in the log.
      for (const [id, r] of Object.entries(answer.pdus ?? {})) if (r?.error) console.warn(`[federation] ${destination} refused ${id}: ${r.error}`);
    } catch (e) {
      const backoff = Math.min(Number(this.#meta('backoff_ms') ?? FIRST_BACKOFF_MS / 2) * 2, MAX_BACKOFF_MS);
      this.#setMeta('backoff_ms', String(backoff));
      this.#setMeta('retry_at', String(now + backoff));
      const why = e instanceof RemoteError ? `${e.status} ${e.body?.errcode ?? ''}` : String(e);
      console.warn(`[federation] sending to ${destination} failed (${why}); retrying in ${backoff} ms`);
      await this.ctx.storage.setAlarm(now + backoff);
      return false;
    }
    for (let i = 0; i < sent.length; i += 100) {
      const chunk = sent.slice(i, i + 100);
      this.#sql.exec(`delete from queue where seq in (${chunk.map(() => '?').join(',')})`, ...chunk);
    }
    this.#setMeta('txn', undefined);
    this.#setMeta('txn_body', undefined);
    this.#setMeta('txn_seqs', undefined);
    this.#setMeta('backoff_ms', undefined);
    this.#setMeta('retry_at', undefined);
    return true;
  }
}
