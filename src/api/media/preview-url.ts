// GET /_matrix/client/v1/media/preview_url (and the deprecated /_matrix/media/v3/preview_url).
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { missingParam, unrecognized } from '../../http/errors';
import { previewUrl } from '../../services/media/url-preview/preview';

export const previews = new Hono<AppEnv>();

previews.get('/preview_url', requireAuth({ allowGuests: true }), async (c) => {
  // Switched off, the endpoint does not exist, as with Synapse's url_preview_enabled: false.
  if (!c.get('config').media.urlPreviews) throw unrecognized();
  const url = c.req.query('url');
  if (!url) throw missingParam('Missing url');
  return c.json(await previewUrl(c.env, c.get('config'), c.get('requester').userId, url));
});
