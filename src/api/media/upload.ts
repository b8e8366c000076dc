// Uploading content (spec: Content repository): POST /_matrix/media/v3/upload, and the asynchronous
// pair POST /_matrix/media/v1/create then PUT /_matrix/media/v3/upload/{serverName}/{mediaId}.
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv, Ctx } from '../../http/context';
import { rateLimit } from '../../http/rate-limit';
import { localMediaId, mxcUri } from '../../services/media/ids';
import { type UploadInput, createPending, upload, uploadMetadata, uploadToPending } from '../../services/media/upload';

async function uploadInput(c: Ctx): Promise<UploadInput> {
  const { userId } = c.get('requester');
  const meta = uploadMetadata(c.req.header('content-type'), c.req.query('filename'), c.req.header('content-length'));
  await rateLimit(c, 'media-upload', userId, c.get('config').media.uploadRate);
  return { userId, ...meta, body: c.req.raw.body };
}

export const uploads = new Hono<AppEnv>();

uploads.post('/upload', requireAuth(), async (c) => {
  const mediaId = await upload(c.env, c.get('config'), await uploadInput(c));
  return c.json({ content_uri: mxcUri(c.get('config').serverName, mediaId) });
});

uploads.put('/upload/:serverName/:mediaId', requireAuth(), async (c) => {
  const mediaId = localMediaId(c.req.param('serverName'), c.req.param('mediaId'), c.get('config').serverName);
  await uploadToPending(c.env, c.get('config'), mediaId, await uploadInput(c));
  return c.json({});
});

export const create = new Hono<AppEnv>();

create.post('/create', requireAuth(), async (c) => {
  const { userId } = c.get('requester');
  await rateLimit(c, 'media-upload', userId, c.get('config').media.uploadRate);
  const { mediaId, unusedExpiresAt } = await createPending(c.env, c.get('config'), userId);
  return c.json({ content_uri: mxcUri(c.get('config').serverName, mediaId), unused_expires_at: unusedExpiresAt });
});
