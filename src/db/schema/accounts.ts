import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgSequence, pgTable, primaryKey, serial, text } from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });

/** Source of numeric localparts for registrations that do not choose a username (as Synapse does). */
export const generatedUserIds = pgSequence('generated_user_ids', { startWith: 1 });

export const users = pgTable('users', {
  userId: text('user_id').primaryKey(),
  passwordHash: text('password_hash'),
  createdTs: ms('created_ts').notNull(),
  isGuest: boolean('is_guest').notNull().default(false),
  admin: boolean('admin').notNull().default(false),
  deactivated: boolean('deactivated').notNull().default(false),
  /** Account moderation (spec: "Account suspension", "Account locking"), set by server admins. */
  suspended: boolean('suspended').notNull().default(false),
  locked: boolean('locked').notNull().default(false),
  /** Every profile field, displayname and avatar_url included (extended profiles, MSC4133). */
  profile: jsonb('profile').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
});

export const devices = pgTable(
  'devices',
  {
    userId: text('user_id').notNull().references(() => users.userId, { onDelete: 'cascade' }),
    deviceId: text('device_id').notNull(),
    displayName: text('display_name'),
    createdTs: ms('created_ts').notNull(),
    lastSeenTs: ms('last_seen_ts'),
    lastSeenIp: text('last_seen_ip'),
    lastSeenUserAgent: text('last_seen_user_agent'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

/** Access tokens are stored as SHA-256 digests only: a database leak yields no usable token. */
export const accessTokens = pgTable(
  'access_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    createdTs: ms('created_ts').notNull(),
    /** Null for tokens that never expire (no refresh token was asked for). */
    expiresTs: ms('expires_ts'),
    /** The refresh token issued with this access token, if any. */
    refreshTokenId: integer('refresh_token_id'),
    /** False until first used: the first use retires the refresh token that preceded this pair. */
    used: boolean('used').notNull().default(false),
  },
  (t) => [index('access_tokens_device').on(t.userId, t.deviceId)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: serial('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    createdTs: ms('created_ts').notNull(),
    /** The refresh token this one replaced; it stays valid until this pair is first used (spec). */
    previousId: integer('previous_id'),
  },
  (t) => [index('refresh_tokens_device').on(t.userId, t.deviceId)],
);

export const registrationTokens = pgTable('registration_tokens', {
  token: text('token').primaryKey(),
  usesAllowed: integer('uses_allowed'),
  pending: integer('pending').notNull().default(0),
  completed: integer('completed').notNull().default(0),
  expiryTs: ms('expiry_ts'),
});

/** User-interactive authentication sessions (spec: Client-Server API, User-Interactive Authentication). */
export const uiaSessions = pgTable('uia_sessions', {
  sessionId: text('session_id').primaryKey(),
  /** The method and path that opened the session: a session cannot be reused for another operation. */
  operation: text('operation').notNull(),
  userId: text('user_id'),
  completed: jsonb('completed').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** Values established by stages, e.g. the registration token that was accepted. */
  results: jsonb('results').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  createdTs: ms('created_ts').notNull(),
});
