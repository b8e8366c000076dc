// Moderating local media (Synapse's admin media API): quarantine and protect single items, quarantine
// all of a user's media, delete items (rows first, so they vanish for everyone at once, then bytes).
import type { Env } from '../../config';
import { httpDb } from '../../db/client';
import * as q from '../../db/queries/media';
import { notFound } from '../../http/errors';
import { deleteObjects } from './storage';

async function existing(env: Env, mediaId: string): Promise<q.MediaRow> {
  const row = await q.getMedia(httpDb(env), mediaId);
  if (!row) throw notFound('Unknown media');
  return row;
}

/** Synapse's media_info shape for local media. */
export function describe(row: q.MediaRow) {
  return {
    media_origin: null,
    user_id: row.userId,
    media_id: row.mediaId,
    media_type: row.contentType,
    media_length: row.size,
    upload_name: row.uploadName,
    created_ts: row.createdTs,
    url_cache: row.urlCache,
    last_access_ts: null,
    quarantined_by: row.quarantinedBy,
    authenticated: row.authenticated,
    safe_from_quarantine: row.safeFromQuarantine,
  };
}

export const mediaInfo = async (env: Env, mediaId: string) => describe(await existing(env, mediaId));

/** Protected media is left alone, as in Synapse. */
export async function quarantine(env: Env, mediaId: string, by: string | null): Promise<void> {
  await existing(env, mediaId);
  await q.setQuarantined(httpDb(env), mediaId, by);
}

export async function protect(env: Env, mediaId: string, safe: boolean): Promise<void> {
  await existing(env, mediaId);
  await q.setProtected(httpDb(env), mediaId, safe);
}

export const quarantineUser = (env: Env, userId: string, by: string) => q.quarantineUserMedia(httpDb(env), userId, by);

export async function deleteMedia(env: Env, mediaIds: string[]): Promise<string[]> {
  const rows = await q.deleteMediaRows(httpDb(env), mediaIds);
  for (const row of rows) await deleteObjects(env.MEDIA, row.mediaId, [row.storageKey]);
  return rows.map((r) => r.mediaId);
}

export const userMedia = (env: Env, userId: string, from: number, limit: number) => q.listUserMedia(httpDb(env), userId, from, limit);
