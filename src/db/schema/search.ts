// Full-text search over room events (spec: client-server "Server Side Search"): one row per
// searchable event, written in the transaction that persists the event (queries/search.ts).
import { bigint, boolean, customType, index, pgTable, text } from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const eventSearch = pgTable(
  'event_search',
  {
    eventId: text('event_id').primaryKey(),
    roomId: text('room_id').notNull(),
    /** Which field was indexed: content.body, content.name or content.topic (one per event type). */
    key: text('key').notNull(),
    sender: text('sender').notNull(),
    /** For the filter's contains_url. */
    containsUrl: boolean('contains_url').notNull(),
    /** With the event id, the order of `recent` and of pagination tokens. */
    originServerTs: bigint('origin_server_ts', { mode: 'number' }).notNull(),
    vector: tsvector('vector').notNull(),
  },
  (t) => [index('event_search_vector').using('gin', t.vector), index('event_search_room_ts').on(t.roomId, t.originServerTs)],
);
