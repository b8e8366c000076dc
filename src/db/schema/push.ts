// Push notifications (spec: client-server "Push Notifications"): each user's own push rules and
// their changes to the predefined rules, pushers, and the push actions computed for new events
// (the source of notification counts and of GET /notifications).
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { PushAction, PushCondition } from '../../matrix/push-rules/types';
import { users } from './accounts';

const ms = (name: string) => bigint(name, { mode: 'number' });

/** User-defined rules. Rule ids are unique within their kind only. */
export const pushRules = pgTable(
  'push_rules',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    ruleId: text('rule_id').notNull(),
    /** Order within the kind: lower is more important. */
    position: integer('position').notNull(),
    /** override and underride rules. */
    conditions: jsonb('conditions').$type<PushCondition[]>(),
    actions: jsonb('actions').$type<PushAction[]>().notNull(),
    /** content rules. */
    pattern: text('pattern'),
    enabled: boolean('enabled').notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.ruleId] })],
);

/** A user's enabled state and actions for predefined (server-default) rules; null keeps the default. */
export const pushRuleChanges = pgTable(
  'push_rule_changes',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    ruleId: text('rule_id').notNull(),
    enabled: boolean('enabled'),
    actions: jsonb('actions').$type<PushAction[]>(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.ruleId] })],
);

/** Pushers (spec: POST /pushers/set), one per (user, app_id, pushkey). */
export const pushers = pgTable(
  'pushers',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    appId: text('app_id').notNull(),
    pushkey: text('pushkey').notNull(),
    kind: text('kind').notNull(),
    appDisplayName: text('app_display_name').notNull(),
    deviceDisplayName: text('device_display_name').notNull(),
    profileTag: text('profile_tag'),
    lang: text('lang').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    /** The device that set the pusher: deleting the device removes it (as Synapse does). */
    deviceId: text('device_id'),
    createdTs: ms('created_ts').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.appId, t.pushkey] }), index('pushers_app_pushkey').on(t.appId, t.pushkey)],
);

/**
 * The actions of the rule that made an event notify a user. Rows exist only for notifying events;
 * counts are taken after the user's read receipt, per thread (thread_id null = main timeline).
 */
export const eventPushActions = pgTable(
  'event_push_actions',
  {
    userId: text('user_id').notNull(),
    roomId: text('room_id').notNull(),
    eventId: text('event_id').notNull(),
    streamPos: bigint('stream_pos', { mode: 'number' }).notNull(),
    notify: boolean('notify').notNull(),
    highlight: boolean('highlight').notNull(),
    threadId: text('thread_id'),
    actions: jsonb('actions').$type<PushAction[]>().notNull(),
    ts: ms('ts').notNull(),
  },
  (t) => [
    // One row per event and user; also how a redaction finds an event's rows.
    uniqueIndex('event_push_actions_event_user').on(t.eventId, t.userId),
    index('event_push_actions_room').on(t.userId, t.roomId, t.streamPos),
    index('event_push_actions_user').on(t.userId, t.streamPos),
  ],
);
