import { bigint, jsonb, pgSequence, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { users } from './accounts';

/** Account data, global (room_id = '') and per room. */
export const accountData = pgTable(
  'account_data',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    roomId: text('room_id').notNull().default(''),
    type: text('type').notNull(),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    /** Position in the user's account-data stream, for incremental sync. */
    streamPos: bigint('stream_pos', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.type] })],
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

/** Positions of account-data changes; per user they are allocated and committed in order by the UserDO. */
export const accountDataStream = pgSequence('account_data_stream', { startWith: 1 });
