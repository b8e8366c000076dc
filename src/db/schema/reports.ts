// Reports of rooms, events and users (spec: client-server "Reporting content"), kept for moderators.
import { bigint, bigserial, index, pgTable, text } from 'drizzle-orm/pg-core';

export const reports = pgTable(
  'reports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    roomId: text('room_id').notNull(),
    /** Null for a report of the whole room. */
    eventId: text('event_id'),
    reporter: text('reporter').notNull(),
    reason: text('reason'),
    receivedTs: bigint('received_ts', { mode: 'number' }).notNull(),
  },
  (t) => [index('reports_room').on(t.roomId, t.receivedTs)],
);

/** Reports of users (v1.14, POST /users/{userId}/report): about an account, not about a room. */
export const userReports = pgTable(
  'user_reports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    reporter: text('reporter').notNull(),
    reason: text('reason').notNull(),
    receivedTs: bigint('received_ts', { mode: 'number' }).notNull(),
  },
  (t) => [index('user_reports_user').on(t.userId, t.receivedTs)],
);
