// GET /_matrix/federation/v1/media/download/{mediaId} and /media/thumbnail/{mediaId} (spec:
// server-server "Content Repository", v1.11): our media for other servers, as multipart/mixed
// (an empty JSON metadata part, then the bytes). Only our own media: what we cached from other
// servers is theirs to serve.
import { Hono } from 'hono';
import type { AppEnv, Ctx } from '../../http/context';
import { requireServerAuth } from '../../http/federation-auth';
import { readyMedia, serveContent, waitMs } from '../../services/media/download';
import { checkMediaId } from '../../services/media/ids';
import { serveThumbnail, thumbnailRequest } from '../../services/media/thumbnail';
import { multipartMedia } from '../../services/federation/multipart';

export const federationMedia = new Hono<AppEnv>();

const media = (c: Ctx) => readyMedia(c.env, c.get('config'), checkMediaId(c.req.param('mediaId')!), { legacy: false, timeoutMs: waitMs(c.req.query('timeout_ms')) });

federationMedia.get('/media/download/:mediaId', requireServerAuth, async (c) => {
  // The whole content: a Range header of the asking server is not for this endpoint.
  return multipartMedia(await serveContent(c.env, await media(c), new Request(c.req.url), null));
});

federationMedia.get('/media/thumbnail/:mediaId', requireServerAuth, async (c) => {
  const request = thumbnailRequest((name) => c.req.query(name));
  return multipartMedia(await serveThumbnail(c.env.MEDIA, await media(c), request));
});
