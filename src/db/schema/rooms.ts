// Rooms and their events: the DAG, state (current and historical, as chained state groups), the
// per-user membership index, and the global stream order that sync follows.
import { bigint, bigserial, boolean, index, integer, pgSequence, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });

/**
 * Positions of events in the global stream. They are taken under a transaction-scoped advisory
 * lock just before commit, so they become visible in order: a reader never sees a position whose
 * predecessors are still in flight (invariant 2).
 */
export const eventStream = pgSequence('event_stream', { startWith: 1 });

export const rooms = pgTable('rooms', {
  roomId: text('room_id').primaryKey(),
  version: text('version').notNull(),
  creator: text('creator').notNull(),
  createdTs: ms('created_ts').notNull(),
  /** Listed in the public room directory. */
  published: boolean('published').notNull().default(false),
  /** The state group of the current state, and the length of its delta chain. */
  currentStateGroup: bigint('current_state_group', { mode: 'number' }),
  currentChainLength: integer('current_chain_length').notNull().default(0),
});

export const events = pgTable(
  'events',
  {
    eventId: text('event_id').primaryKey(),
    roomId: text('room_id').notNull(),
    /** Null for outliers and rejected events: they are not part of the timeline. */
    streamPos: bigint('stream_pos', { mode: 'number' }),
    depth: bigint('depth', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    stateKey: text('state_key'),
    sender: text('sender').notNull(),
    originServerTs: ms('origin_server_ts').notNull(),
    /** The PDU exactly as signed (text, not jsonb: jsonb cannot hold \u0000 and reorders keys). */
    json: text('json').notNull(),
    /** State of the room after this event; null for outliers. */
    stateGroup: bigint('state_group', { mode: 'number' }),
    outlier: boolean('outlier').notNull().default(false),
    /** Why the event failed the auth rules, if it did; rejected events are never served as state. */
    rejected: text('rejected'),
    softFailed: boolean('soft_failed').notNull().default(false),
    /** The id of the redaction that applies to this event, once one does. */
    redactedBy: text('redacted_by'),
    /** The state event this one replaced (unsigned.replaces_state, prev_content). */
    replacesState: text('replaces_state'),
    /** m.relates_to, for relations, threads and aggregations. */
    relatesTo: text('relates_to'),
    relType: text('rel_type'),
  },
  (t) => [
    uniqueIndex('events_stream').on(t.streamPos),
    index('events_room_stream').on(t.roomId, t.streamPos),
    /** timestamp_to_event: the closest event to a time. */
    index('events_room_ts').on(t.roomId, t.originServerTs),
    index('events_relates').on(t.relatesTo, t.relType),
  ],
);

/** prev_events edges of the DAG. */
export const eventEdges = pgTable(
  'event_edges',
  {
    eventId: text('event_id').notNull(),
    prevEventId: text('prev_event_id').notNull(),
    roomId: text('room_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.prevEventId] }), index('event_edges_prev').on(t.prevEventId)],
);

export const forwardExtremities = pgTable(
  'forward_extremities',
  {
    roomId: text('room_id').notNull(),
    eventId: text('event_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.eventId] })],
);

/**
 * A state group is a room state, stored as a delta over `prevGroup`. Chains are cut at a bounded
 * length (a group without prevGroup holds the full state), so reading a state costs one query.
 */
export const stateGroups = pgTable('state_groups', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  roomId: text('room_id').notNull(),
  prevGroup: bigint('prev_group', { mode: 'number' }),
  chainLength: integer('chain_length').notNull(),
});

export const stateGroupEntries = pgTable(
  'state_group_entries',
  {
    groupId: bigint('group_id', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    stateKey: text('state_key').notNull(),
    /** Null removes the key (possible after state resolution). */
    eventId: text('event_id'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.type, t.stateKey] })],
);

/** The current state of each room. */
export const roomState = pgTable(
  'room_state',
  {
    roomId: text('room_id').notNull(),
    type: text('type').notNull(),
    stateKey: text('state_key').notNull(),
    eventId: text('event_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.type, t.stateKey] })],
);

/** Current membership of every user in every room, indexed by user (joined_rooms, sync). */
export const roomMemberships = pgTable(
  'room_memberships',
  {
    roomId: text('room_id').notNull(),
    userId: text('user_id').notNull(),
    membership: text('membership').notNull(),
    eventId: text('event_id').notNull(),
    sender: text('sender').notNull(),
    streamPos: bigint('stream_pos', { mode: 'number' }).notNull(),
    /** Whether the user belongs to this server (only local users sync). */
    local: boolean('local').notNull(),
    /** Set by /forget after leaving; cleared by any new membership. */
    forgotten: boolean('forgotten').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index('room_memberships_user').on(t.userId, t.membership)],
);

export const roomAliases = pgTable(
  'room_aliases',
  {
    alias: text('alias').primaryKey(),
    roomId: text('room_id').notNull(),
    creator: text('creator').notNull(),
    createdTs: ms('created_ts').notNull(),
  },
  (t) => [index('room_aliases_room').on(t.roomId)],
);

/** Redactions by target, including those whose target has not arrived yet. */
export const redactions = pgTable(
  'redactions',
  {
    eventId: text('event_id').primaryKey(),
    redacts: text('redacts').notNull(),
    roomId: text('room_id').notNull(),
  },
  (t) => [index('redactions_redacts').on(t.redacts)],
);

/**
 * Client transaction ids (spec: "Transaction identifiers"): the same request from the same device
 * yields the same event. `scope` is what the request path adds to the id (room, event type).
 */
export const eventTxns = pgTable(
  'event_txns',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    scope: text('scope').notNull(),
    txnId: text('txn_id').notNull(),
    eventId: text('event_id').notNull(),
    createdTs: ms('created_ts').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId, t.scope, t.txnId] }), index('event_txns_event').on(t.eventId)],
);
