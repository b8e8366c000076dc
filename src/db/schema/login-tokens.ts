// Login tokens (spec: client-server "Token-based login", POST /login/get_token): single use, short-lived.
import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';

export const loginTokens = pgTable(
  'login_tokens',
  {
    /** SHA-256 of the token; the row is deleted by the login that uses it. */
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id').notNull(),
    expiresTs: bigint('expires_ts', { mode: 'number' }).notNull(),
  },
  (t) => [index('login_tokens_expiry').on(t.expiresTs)],
);
