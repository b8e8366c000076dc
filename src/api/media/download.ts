// Downloading content and thumbnails (spec: Content repository). The authenticated endpoints
// (/_matrix/client/v1/media, spec 1.11) require an access token; the deprecated unauthenticated ones
// (/_matrix/media/v3) serve only media uploaded before the freeze, which is none of ours unless
// LEGACY_MEDIA is on.
import { Hono, type MiddlewareHandler } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv, Ctx } from '../../http/context';
import { invalidParam } from '../../http/errors';
import { readyMedia, serveContent, waitMs } from '../../services/media/download';
import { checkServerMediaId } from '../../services/media/ids';
import { remoteReadyMedia } from '../../services/federation/media';
import { serveThumbnail, thumbnailRequest } from '../../services/media/thumbnail';

function fileNameParam(c: Ctx): string | null {
  const name = c.req.param('fileName');
  if (name === undefined) return null;
  if (name.length > 255 || /[\x00-\x1f\x7f]/.test(name)) throw invalidParam('fileName must be at most 255 characters without control characters');
  return name;
}

function media(c: Ctx, legacy: boolean) {
  const { serverName, mediaId } = checkServerMediaId(c.req.param('serverName')!, c.req.param('mediaId')!);
  const opts = { legacy, timeoutMs: waitMs(c.req.query('timeout_ms')) };
  // Another server's media is fetched from it once, then served from our copy.
  if (serverName !== c.get('config').serverName) return remoteReadyMedia(c.env, c.get('config'), serverName, mediaId, opts);
  return readyMedia(c.env, c.get('config'), mediaId, opts);
}

function downloads(legacy: boolean, auth: MiddlewareHandler<AppEnv>): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const download = async (c: Ctx) => {
    const fileName = fileNameParam(c);
    return serveContent(c.env, await media(c, legacy), c.req.raw, fileName);
  };
  r.get('/download/:serverName/:mediaId', auth, download);
  r.get('/download/:serverName/:mediaId/:fileName', auth, download);
  r.get('/thumbnail/:serverName/:mediaId', auth, async (c) => {
    const request = thumbnailRequest((name) => c.req.query(name));
    return serveThumbnail(c.env.MEDIA, await media(c, legacy), request);
  });
  return r;
}

export const authenticatedDownloads = downloads(false, requireAuth({ allowGuests: true }));
export const legacyDownloads = downloads(true, (_c, next) => next());
