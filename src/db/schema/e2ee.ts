// End-to-end encryption (spec: "End-to-End Encryption"): device keys, one-time and fallback keys,
// cross-signing keys and signatures, server-side key backups, and dehydrated devices (MSC3814).
// Client-supplied JSON is stored as text (canonical JSON where it is signed): jsonb cannot hold
// \u0000, and signed objects must come back exactly as they were uploaded.
import { bigint, bigserial, boolean, foreignKey, index, type PgColumn, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { devices } from './accounts';

const pos = (name: string) => bigint(name, { mode: 'number' });

/** The row belongs to a device, and goes with it. */
const ofDevice = (t: { userId: PgColumn; deviceId: PgColumn }) =>
  foreignKey({ columns: [t.userId, t.deviceId], foreignColumns: [devices.userId, devices.deviceId] }).onDelete('cascade');

/** A device's identity keys as the device signed them; they go with the device. */
export const e2eDeviceKeys = pgTable(
  'e2e_device_keys',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    keyJson: text('key_json').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deviceId] }),
    ofDevice(t),
  ],
);

/** Unclaimed one-time keys; `id` orders them by upload, and a claim deletes the row. */
export const e2eOneTimeKeys = pgTable(
  'e2e_one_time_keys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    algorithm: text('algorithm').notNull(),
    keyId: text('key_id').notNull(),
    keyJson: text('key_json').notNull(),
  },
  (t) => [
    uniqueIndex('e2e_one_time_keys_key').on(t.userId, t.deviceId, t.algorithm, t.keyId),
    index('e2e_one_time_keys_claim').on(t.userId, t.deviceId, t.algorithm, t.id),
    ofDevice(t),
  ],
);

/**
 * Where claims of a device's one-time keys start looking (per algorithm): every key with a smaller
 * id was claimed (or is one a failed claim left behind, until the device's next upload). A claim
 * deletes its key and Postgres keeps the dead index entries until vacuum: without this, each claim
 * would step over every key claimed since, oldest first (see claimKeys in src/db/queries/key-management.ts).
 */
export const e2eOneTimeKeyFloors = pgTable(
  'e2e_one_time_key_floors',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    algorithm: text('algorithm').notNull(),
    id: pos('id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deviceId, t.algorithm] }),
    ofDevice(t),
  ],
);

/**
 * Devices whose user's object keeps their key counts for /sync, and when it last read them: a
 * claim of their keys must tell that object (src/services/sync/key-counts.ts); others need no word.
 */
export const e2eKeyCountReaders = pgTable(
  'e2e_key_count_readers',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    readTs: pos('read_ts').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deviceId] }),
    ofDevice(t),
  ],
);

/** One fallback key per device and algorithm; it stays claimable once used. */
export const e2eFallbackKeys = pgTable(
  'e2e_fallback_keys',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    algorithm: text('algorithm').notNull(),
    keyId: text('key_id').notNull(),
    keyJson: text('key_json').notNull(),
    used: boolean('used').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deviceId, t.algorithm] }),
    ofDevice(t),
  ],
);

/** A user's current master, self-signing and user-signing keys. */
export const crossSigningKeys = pgTable(
  'cross_signing_keys',
  {
    userId: text('user_id').notNull(),
    /** 'master' | 'self_signing' | 'user_signing' */
    keyType: text('key_type').notNull(),
    /** The unpadded base64 ed25519 public key (the key id is `ed25519:<publicKey>`). */
    publicKey: text('public_key').notNull(),
    keyJson: text('key_json').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.keyType] })],
);

/**
 * Signatures uploaded with /keys/signatures/upload: by `signerUserId`'s key `signingKeyId`, of
 * `targetUserId`'s device (`targetKeyId` = device id) or master key (`targetKeyId` = its public key).
 */
export const crossSigningSignatures = pgTable(
  'cross_signing_signatures',
  {
    signerUserId: text('signer_user_id').notNull(),
    signingKeyId: text('signing_key_id').notNull(),
    targetUserId: text('target_user_id').notNull(),
    targetKeyId: text('target_key_id').notNull(),
    signature: text('signature').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.targetUserId, t.targetKeyId, t.signerUserId, t.signingKeyId] }),
  ],
);

/**
 * Changes that only one user sees in device_lists.changed: a user's signature of another user's
 * master key, and a new user-signing key (target = the signer), both invisible to everyone else.
 */
export const userSignatureChanges = pgTable(
  'user_signature_changes',
  {
    signerUserId: text('signer_user_id').notNull(),
    targetUserId: text('target_user_id').notNull(),
    streamPos: pos('stream_pos').notNull(),
  },
  (t) => [primaryKey({ columns: [t.signerUserId, t.streamPos, t.targetUserId] })],
);

/** Server-side key backup versions; deleted ones are kept so that their numbers are not reused. */
export const roomKeyBackups = pgTable(
  'room_key_backups',
  {
    userId: text('user_id').notNull(),
    version: pos('version').notNull(),
    algorithm: text('algorithm').notNull(),
    authData: text('auth_data').notNull(),
    /** Bumped whenever the stored keys change (the backup's `etag`). */
    etag: pos('etag').notNull().default(0),
    deleted: boolean('deleted').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version] })],
);

export const roomKeyBackupKeys = pgTable(
  'room_key_backup_keys',
  {
    userId: text('user_id').notNull(),
    version: pos('version').notNull(),
    roomId: text('room_id').notNull(),
    sessionId: text('session_id').notNull(),
    firstMessageIndex: bigint('first_message_index', { mode: 'number' }).notNull(),
    forwardedCount: bigint('forwarded_count', { mode: 'number' }).notNull(),
    isVerified: boolean('is_verified').notNull(),
    sessionData: text('session_data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version, t.roomId, t.sessionId] })],
);

/** Transaction ids of /sendToDevice requests (spec: "Transaction identifiers"). */
export const toDeviceTxns = pgTable(
  'to_device_txns',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    txnId: text('txn_id').notNull(),
    createdTs: pos('created_ts').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId, t.txnId] })],
);

/** A user's dehydrated device (MSC3814): a device row without tokens, plus its pickled data. */
export const dehydratedDevices = pgTable(
  'dehydrated_devices',
  {
    userId: text('user_id').primaryKey(),
    deviceId: text('device_id').notNull(),
    deviceData: text('device_data').notNull(),
    createdTs: pos('created_ts').notNull(),
  },
  (t) => [
    ofDevice(t),
  ],
);
