// OpenID tokens (spec: client-server "OpenID", server-server "OpenID"): handed to third parties,
// which exchange them at /_matrix/federation/v1/openid/userinfo for the user's id.
import { bigint, index, pgTable, text } from 'drizzle-orm/pg-core';

export const openidTokens = pgTable(
  'openid_tokens',
  {
    /** SHA-256 of the token, as access tokens are stored. */
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id').notNull(),
    expiresTs: bigint('expires_ts', { mode: 'number' }).notNull(),
  },
  (t) => [index('openid_tokens_expiry').on(t.expiresTs)],
);
