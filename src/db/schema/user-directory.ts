// The user directory (spec: client-server "User directory"): one searchable row per user with a
// profile. Who may see whom is decided at query time from room_memberships (queries/user-directory.ts).
import { customType, index, pgTable, text } from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const userDirectory = pgTable(
  'user_directory',
  {
    userId: text('user_id').primaryKey(),
    displayName: text('display_name'),
    avatarUrl: text('avatar_url'),
    /**
     * Localpart (weight A), display name (B) and server name (D), lexed with the accent-insensitive
     * `user_directory` text search configuration (src/db/sql/user_directory.sql).
     */
    vector: tsvector('vector').notNull(),
  },
  (t) => [index('user_directory_vector').using('gin', t.vector)],
);
