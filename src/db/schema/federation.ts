// Other servers: their signing keys, and the transactions they sent us.
import { bigint, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });

/** Verify keys of remote servers (spec: "Retrieving server keys"), current and old. */
export const serverKeys = pgTable(
  'server_keys',
  {
    serverName: text('server_name').notNull(),
    keyId: text('key_id').notNull(),
    verifyKey: text('verify_key').notNull(),
    /** For current keys: until when the server vouched for them. */
    validUntilTs: ms('valid_until_ts').notNull(),
    /** For old keys: when they stopped being used (valid only for events signed before). */
    expiredTs: ms('expired_ts'),
    fetchedTs: ms('fetched_ts').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverName, t.keyId] })],
);

/** The last key document each server published, as received, for the notary API. */
export const serverKeyResponses = pgTable('server_key_responses', {
  serverName: text('server_name').primaryKey(),
  response: jsonb('response').$type<Record<string, unknown>>().notNull(),
  validUntilTs: ms('valid_until_ts').notNull(),
  fetchedTs: ms('fetched_ts').notNull(),
});

/** Transactions received (spec: "Transactions"): a retried one is answered with the same result. */
export const receivedTransactions = pgTable(
  'received_transactions',
  {
    origin: text('origin').notNull(),
    txnId: text('txn_id').notNull(),
    response: jsonb('response').$type<Record<string, unknown>>().notNull(),
    receivedTs: ms('received_ts').notNull(),
  },
  (t) => [primaryKey({ columns: [t.origin, t.txnId] }), index('received_transactions_ts').on(t.receivedTs)],
);
