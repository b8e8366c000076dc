// What this server keeps about other servers' users and media: the device lists of remote users
// our users share rooms with (spec: server-server "Device Management"), and remote media fetched
// for our users (spec: server-server "Content Repository"), whose bytes live in R2. Cross-signing
// keys of remote users go in cross_signing_keys, presence in presence, beside local users'.
import { bigint, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

const num = (name: string) => bigint(name, { mode: 'number' });

/** Remote users whose device lists we follow, and the last `stream_id` of theirs we applied. */
export const remoteDeviceLists = pgTable('remote_device_lists', {
  userId: text('user_id').primaryKey(),
  streamId: num('stream_id').notNull(),
  updatedTs: num('updated_ts').notNull(),
});

/** Their devices as their server published them; `keyJson` (canonical JSON) is null for a device without keys. */
export const remoteDevices = pgTable(
  'remote_devices',
  {
    userId: text('user_id').notNull(),
    deviceId: text('device_id').notNull(),
    keyJson: text('key_json'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

/** Media of other servers, fetched once and then served from R2 like our own. */
export const remoteMedia = pgTable(
  'remote_media',
  {
    serverName: text('server_name').notNull(),
    mediaId: text('media_id').notNull(),
    contentType: text('content_type').notNull(),
    uploadName: text('upload_name'),
    size: num('size').notNull(),
    storageKey: text('storage_key').notNull(),
    fetchedTs: num('fetched_ts').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverName, t.mediaId] })],
);
