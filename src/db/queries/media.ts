// Queries over local media metadata and cached URL previews.
import { and, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { media, urlPreviews } from '../schema';

export type MediaRow = typeof media.$inferSelect;

export async function getMedia(db: Db, mediaId: string): Promise<MediaRow | undefined> {
  const [row] = await db.select().from(media).where(eq(media.mediaId, mediaId));
  return row;
}

/** A completed upload: the R2 object exists before this row is written. */
export async function insertUploaded(
  db: Db,
  row: { mediaId: string; userId: string; now: number; contentType: string; uploadName: string | null; size: number; storageKey: string; authenticated: boolean; urlCache?: string },
): Promise<void> {
  await db.insert(media).values({
    mediaId: row.mediaId,
    userId: row.userId,
    createdTs: row.now,
    uploadedTs: row.now,
    contentType: row.contentType,
    uploadName: row.uploadName,
    size: row.size,
    storageKey: row.storageKey,
    authenticated: row.authenticated,
    urlCache: row.urlCache ?? null,
  });
}

/** POST /create: an id with no content yet. */
export async function insertPending(db: Db, row: { mediaId: string; userId: string; now: number; expiresTs: number; authenticated: boolean }): Promise<void> {
  await db.insert(media).values({
    mediaId: row.mediaId,
    userId: row.userId,
    createdTs: row.now,
    unusedExpiresTs: row.expiresTs,
    authenticated: row.authenticated,
  });
}

/**
 * Fills a pending id with its content, if it is still pending and unexpired. Returns false when
 * another upload got there first (or the id expired meanwhile): the caller's object is then unused.
 */
export async function completePending(
  db: Db,
  row: { mediaId: string; userId: string; now: number; contentType: string; uploadName: string | null; size: number; storageKey: string },
): Promise<boolean> {
  const done = await db
    .update(media)
    .set({ uploadedTs: row.now, unusedExpiresTs: null, contentType: row.contentType, uploadName: row.uploadName, size: row.size, storageKey: row.storageKey })
    .where(and(eq(media.mediaId, row.mediaId), eq(media.userId, row.userId), isNull(media.uploadedTs), gt(media.unusedExpiresTs, row.now)))
    .returning({ mediaId: media.mediaId });
  return done.length === 1;
}

/** Pending ids of a user that have not expired (spec: limit concurrent pending uploads). */
export async function countPending(db: Db, userId: string, now: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(media)
    .where(and(eq(media.userId, userId), isNull(media.uploadedTs), gt(media.unusedExpiresTs, now)));
  return row.n;
}

export async function deleteExpiredPending(db: Db, userId: string, now: number): Promise<void> {
  await db.delete(media).where(and(eq(media.userId, userId), isNull(media.uploadedTs), lte(media.unusedExpiresTs, now)));
}

/** Bytes a user has stored, for the quota (URL preview images are the server's, not the user's). */
export async function storedBytes(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${media.size}), 0)::bigint` })
    .from(media)
    .where(and(eq(media.userId, userId), isNull(media.urlCache)));
  return Number(row.n);
}

// ---- administration ---------------------------------------------------------------------------

export async function setQuarantined(db: Db, mediaId: string, by: string | null): Promise<number> {
  const cond = by === null ? eq(media.mediaId, mediaId) : and(eq(media.mediaId, mediaId), eq(media.safeFromQuarantine, false));
  const rows = await db.update(media).set({ quarantinedBy: by }).where(cond).returning({ mediaId: media.mediaId });
  return rows.length;
}

/** Quarantines every unprotected, not yet quarantined media item of a user; returns how many. */
export async function quarantineUserMedia(db: Db, userId: string, by: string): Promise<number> {
  const rows = await db
    .update(media)
    .set({ quarantinedBy: by })
    .where(and(eq(media.userId, userId), eq(media.safeFromQuarantine, false), isNull(media.quarantinedBy)))
    .returning({ mediaId: media.mediaId });
  return rows.length;
}

export async function setProtected(db: Db, mediaId: string, safe: boolean): Promise<number> {
  const rows = await db.update(media).set({ safeFromQuarantine: safe }).where(eq(media.mediaId, mediaId)).returning({ mediaId: media.mediaId });
  return rows.length;
}

/** A user's media, newest first (Synapse's default order for the admin listing). */
export async function listUserMedia(db: Db, userId: string, from: number, limit: number): Promise<{ rows: MediaRow[]; total: number }> {
  const rows = await db.select().from(media).where(eq(media.userId, userId)).orderBy(desc(media.createdTs), desc(media.mediaId)).offset(from).limit(limit);
  const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(media).where(eq(media.userId, userId));
  return { rows, total: count.n };
}

/** Removes rows first, so the media is gone for everyone before its bytes are. Returns the removed rows. */
export async function deleteMediaRows(db: Db, mediaIds: string[]): Promise<MediaRow[]> {
  if (mediaIds.length === 0) return [];
  return db.delete(media).where(inArray(media.mediaId, mediaIds)).returning();
}

// ---- URL previews -----------------------------------------------------------------------------

export async function getPreview(db: Db, url: string, now: number): Promise<Record<string, unknown> | undefined> {
  const [row] = await db.select({ og: urlPreviews.og }).from(urlPreviews).where(and(eq(urlPreviews.url, url), gt(urlPreviews.expiresTs, now)));
  return row?.og;
}

export async function putPreview(db: Db, url: string, og: Record<string, unknown>, now: number, expiresTs: number): Promise<void> {
  await db
    .insert(urlPreviews)
    .values({ url, og, fetchedTs: now, expiresTs })
    .onConflictDoUpdate({ target: urlPreviews.url, set: { og, fetchedTs: now, expiresTs } });
}
