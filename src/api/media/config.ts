// GET /_matrix/client/v1/media/config (and the deprecated /_matrix/media/v3/config).
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv } from '../../http/context';

export const mediaConfig = new Hono<AppEnv>();

mediaConfig.get('/config', requireAuth({ allowGuests: true }), (c) => c.json({ 'm.upload.size': c.get('config').media.maxUploadBytes }));
