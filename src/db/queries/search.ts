// Full-text search over room events with Postgres text search (english configuration, as
// Synapse): rows written with the events (indexEventsForSearch, from persistEvents), matched with
// websearch_to_tsquery, ranked with ts_rank_cd.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { eventSearch, events } from '../schema';
import type { RoomEvent } from '../../matrix/types';

export type SearchKey = 'content.body' | 'content.name' | 'content.topic';

/** The event type each key is read from, and the content field. */
export const SEARCH_KEYS: Record<SearchKey, { type: string; field: string }> = {
  'content.body': { type: 'm.room.message', field: 'body' },
  'content.name': { type: 'm.room.name', field: 'name' },
  'content.topic': { type: 'm.room.topic', field: 'topic' },
};

/** The text to index for an event, and its key; undefined for events search does not cover. */
export function searchableText(event: RoomEvent): { key: SearchKey; text: string } | undefined {
  for (const [key, { type, field }] of Object.entries(SEARCH_KEYS) as [SearchKey, { type: string; field: string }][]) {
    const value = event.pdu.content[field];
    // Postgres text cannot hold NUL.
    if (event.pdu.type === type && typeof value === 'string' && value !== '') return { key, text: value.replace(/\u0000/g, ' ') };
  }
  return undefined;
}

/** What persisting one event means for the index. */
export interface SearchEntry {
  event: RoomEvent;
  /** A redaction's target: its text leaves the index. */
  redacts?: string;
}

/**
 * The statements that write the search rows of a batch of events, for the caller's transaction.
 * They need no stream position, so they run before the stream lock is taken.
 */
export function searchIndexStatements(roomId: string, entries: SearchEntry[]): SQL[] {
  const redacted = entries.map((e) => e.redacts).filter((id): id is string => id !== undefined);
  // One statement sees one snapshot: an event redacted in its own batch is simply not indexed.
  const gone = new Set(redacted);
  const rows = entries.flatMap(({ event }) => {
    const found = gone.has(event.eventId) ? undefined : searchableText(event);
    return found ? [{ event, ...found }] : [];
  });
  const out: SQL[] = [];
  if (rows.length) {
    const col = <V>(f: (r: (typeof rows)[number]) => V) => sql.param(rows.map(f));
    out.push(sql`insert into event_search (event_id, room_id, key, sender, contains_url, origin_server_ts, vector)
      select e, ${roomId}, k, s, u, ts, to_tsvector('english', t)
      from unnest(${col((r) => r.event.eventId)}::text[], ${col((r) => r.key)}::text[], ${col((r) => r.event.pdu.sender)}::text[],
        ${col((r) => typeof r.event.pdu.content.url === 'string')}::boolean[], ${col((r) => r.event.pdu.origin_server_ts)}::bigint[], ${col((r) => r.text)}::text[]) as x(e, k, s, u, ts, t)
      on conflict do nothing`);
  }
  // Only this room's events can be redacted from it.
  if (redacted.length) out.push(sql`delete from event_search where event_id = any(${sql.param(redacted)}::text[]) and room_id = ${roomId}`);
  return out;
}

export interface SearchQuery {
  term: string;
  roomIds: string[];
  keys: SearchKey[];
  senders?: string[];
  notSenders?: string[];
  containsUrl?: boolean;
  order: 'rank' | 'recent';
}

/** A position in the result order (rank, then time, then event id): results strictly after it come next. */
export interface SearchCursor {
  rank: number;
  ts: number;
  eventId: string;
}

export interface SearchHit extends SearchCursor {
  roomId: string;
  sender: string;
}

function matches(q: SearchQuery): SQL {
  const conds: SQL[] = [
    sql`s.vector @@ q.query`,
    sql`s.room_id = any(${sql.param(q.roomIds)}::text[])`,
    sql`s.key = any(${sql.param(q.keys)}::text[])`,
    // Rows of redacted events are deleted with the redaction; this covers any that arrived first.
    sql`e.redacted_by is null`,
  ];
  if (q.senders) conds.push(sql`s.sender = any(${sql.param(q.senders)}::text[])`);
  if (q.notSenders?.length) conds.push(sql`not (s.sender = any(${sql.param(q.notSenders)}::text[]))`);
  if (q.containsUrl !== undefined) conds.push(sql`s.contains_url = ${q.containsUrl}`);
  return sql`select s.event_id, s.room_id, s.sender, s.origin_server_ts as ts, ts_rank_cd(s.vector, q.query) as rank
    from ${eventSearch} s cross join websearch_to_tsquery('english', ${q.term}) as q(query)
    join ${events} e on e.event_id = s.event_id
    where ${sql.join(conds, sql` and `)}`;
}

/** Matches in the query's order, after the cursor. */
export async function searchHits(db: Db, q: SearchQuery, after: SearchCursor | undefined, limit: number): Promise<SearchHit[]> {
  let keyset = sql`true`;
  if (after) {
    const later = sql`(ts < ${after.ts} or (ts = ${after.ts} and event_id < ${after.eventId}))`;
    keyset = q.order === 'recent' ? later : sql`(rank < ${after.rank}::real or (rank = ${after.rank}::real and ${later}))`;
  }
  const order = q.order === 'recent' ? sql`ts desc, event_id desc` : sql`rank desc, ts desc, event_id desc`;
  const r = (await db.execute(sql`select * from (${matches(q)}) m where ${keyset} order by ${order} limit ${limit}`)) as unknown as {
    rows: { event_id: string; room_id: string; sender: string; ts: string; rank: number }[];
  };
  return r.rows.map((x) => ({ eventId: x.event_id, roomId: x.room_id, sender: x.sender, ts: Number(x.ts), rank: Number(x.rank) }));
}

export async function countHits(db: Db, q: SearchQuery): Promise<number> {
  const r = (await db.execute(sql`select count(*)::int as n from (${matches(q)}) m`)) as unknown as { rows: { n: number }[] };
  return Number(r.rows[0].n);
}

/**
 * The words of the texts that the search term matched (stemming included, so "running" for
 * "run"), lower-cased: what clients highlight.
 */
export async function highlightWords(db: Db, term: string, texts: string[]): Promise<string[]> {
  if (texts.length === 0) return [];
  // \x01 and \x02 mark the matches, so they must not occur in the texts themselves.
  const clean = texts.map((t) => t.replace(/[\u0000-\u0002]/g, ' '));
  const r = (await db.execute(sql`select ts_headline('english', t, websearch_to_tsquery('english', ${term}),
      E'HighlightAll=true, StartSel=\\x01, StopSel=\\x02') as h
    from unnest(${sql.param(clean)}::text[]) as t`)) as unknown as { rows: { h: string }[] };
  const words = new Set<string>();
  for (const { h } of r.rows) for (const m of h.matchAll(/\x01([^\x02]*)\x02/g)) words.add(m[1].toLowerCase());
  return [...words];
}
