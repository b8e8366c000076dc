// The streams /sync follows besides room events: one "misc" stream of positions shared by account
// data, receipts, presence, to-device messages and device-list changes. Positions are taken under
// a transaction-scoped advisory lock just before commit and the head is written in the same
// transaction, so a reader that stops at the head never skips a position still in flight.
import { bigint, bigserial, index, jsonb, pgSequence, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

const pos = (name: string) => bigint(name, { mode: 'number' });

export const miscStream = pgSequence('misc_stream', { startWith: 1 });

/** The last committed position of each stream that is not derived from its rows. */
export const streamHeads = pgTable('stream_heads', {
  name: text('name').primaryKey(),
  pos: pos('pos').notNull(),
});

/** Read receipts (spec: "Receipts"); thread_id '' is the unthreaded receipt. */
export const receipts = pgTable(
  'receipts',
  {
    roomId: text('room_id').notNull(),
    userId: text('user_id').notNull(),
    receiptType: text('receipt_type').notNull(),
    threadId: text('thread_id').notNull(),
    eventId: text('event_id').notNull(),
    /** Stream position of the receipted event, to count unread notifications after it. */
    eventPos: pos('event_pos').notNull(),
    ts: pos('ts').notNull(),
    streamPos: pos('stream_pos').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId, t.receiptType, t.threadId] }), index('receipts_stream').on(t.streamPos)],
);

/** Presence of local users (spec: "Presence"). */
export const presence = pgTable(
  'presence',
  {
    userId: text('user_id').primaryKey(),
    state: text('state').notNull(),
    statusMsg: text('status_msg'),
    lastActiveTs: pos('last_active_ts').notNull(),
    streamPos: pos('stream_pos').notNull(),
  },
  (t) => [index('presence_stream').on(t.streamPos)],
);

/** To-device messages waiting for their device (spec: "Send-to-Device messaging"). */
export const toDevice = pgTable(
  'to_device',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    streamPos: pos('stream_pos').notNull(),
    sender: text('sender').notNull(),
    type: text('type').notNull(),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index('to_device_inbox').on(t.userId, t.deviceId, t.streamPos)],
);

/** A user's device list (devices or cross-signing keys) changed at this position. */
export const deviceListChanges = pgTable(
  'device_list_changes',
  {
    userId: text('user_id').notNull(),
    streamPos: pos('stream_pos').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.streamPos] }), index('device_list_changes_stream').on(t.streamPos)],
);
