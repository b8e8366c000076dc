// Media metadata (the bytes live in R2). A row is the only way to reach an R2 object: its key carries
// a nonce that only the row knows, so an object whose row was never written stays invisible
// (invariant 7: the object is written first, then the row).
import { bigint, boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });

/** Local media, one row per mxc://<our server>/<media_id>. */
export const media = pgTable(
  'media',
  {
    mediaId: text('media_id').primaryKey(),
    userId: text('user_id').notNull(),
    createdTs: ms('created_ts').notNull(),
    /** Null while the id is pending (POST /create done, content not yet uploaded). */
    uploadedTs: ms('uploaded_ts'),
    /** For pending ids: when the id is forgotten if no content arrives (spec: unused_expires_at). */
    unusedExpiresTs: ms('unused_expires_ts'),
    contentType: text('content_type'),
    uploadName: text('upload_name'),
    size: bigint('size', { mode: 'number' }),
    /** The R2 key of the content; null while pending. */
    storageKey: text('storage_key'),
    /** Who quarantined it (a user id, or "system"); quarantined media is served to nobody. */
    quarantinedBy: text('quarantined_by'),
    /** Protected by an admin from quarantine (Synapse's safe_from_quarantine). */
    safeFromQuarantine: boolean('safe_from_quarantine').notNull().default(false),
    /**
     * Uploaded while unauthenticated media was frozen: such media is refused on the deprecated
     * unauthenticated endpoints (spec 1.11 "freeze", Synapse's `authenticated` flag).
     */
    authenticated: boolean('authenticated').notNull().default(true),
    /** Set for images stored by URL previews: the page URL. They do not count towards quotas. */
    urlCache: text('url_cache'),
  },
  (t) => [index('media_user').on(t.userId, t.createdTs)],
);

/** Cached URL previews (spec: GET /preview_url), keyed by the URL as requested. */
export const urlPreviews = pgTable('url_previews', {
  url: text('url').primaryKey(),
  fetchedTs: ms('fetched_ts').notNull(),
  expiresTs: ms('expires_ts').notNull(),
  og: jsonb('og').$type<Record<string, unknown>>().notNull(),
});
