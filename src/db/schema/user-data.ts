import { bigint, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { users } from './accounts';

/** Account data, global (room_id = '') and per room. */
export const accountData = pgTable(
  'account_data',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    roomId: text('room_id').notNull().default(''),
    type: text('type').notNull(),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    /** Position in the misc stream (src/db/schema/streams.ts), for incremental sync. */
    streamPos: bigint('stream_pos', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.type] }), index('account_data_stream').on(t.userId, t.streamPos)],
);

export const filters = pgTable(
  'filters',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    filterId: text('filter_id').notNull(),
    filter: jsonb('filter').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.filterId] })],
);
