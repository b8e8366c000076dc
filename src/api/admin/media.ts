// Media administration under /_synapse/admin/v1, with Synapse's paths and answers so that existing
// admin tools work: media info, quarantine (by item or by user), protect, delete (by item or by user).
import { Hono, type MiddlewareHandler } from 'hono';
import { httpDb } from '../../db/client';
import { getUser } from '../../db/queries/accounts';
import { authenticate } from '../../http/auth';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError, forbidden, invalidParam, notFound } from '../../http/errors';
import { checkUserId, serverNameOf } from '../../matrix/ids';
import * as admin from '../../services/media/admin';
import { checkMediaId } from '../../services/media/ids';

export const adminMedia = new Hono<AppEnv>();

/** Per route, not `use('*')`: other admin routers share the /_synapse/admin/v1 prefix. */
const serverAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('requester', await authenticate(c));
  if (!c.get('requester').admin) throw forbidden('You are not a server admin');
  await next();
};

/** Only our own media can be administered: there is no remote media cache yet. */
function localId(c: Ctx): string {
  const mediaId = checkMediaId(c.req.param('mediaId')!);
  const serverName = c.req.param('serverName');
  if (serverName !== undefined && serverName !== c.get('config').serverName) throw notFound('Unknown media: only local media is stored here');
  return mediaId;
}

async function localUser(c: Ctx): Promise<string> {
  const userId = c.req.param('userId')!;
  if (checkUserId(userId) !== null) throw invalidParam('Invalid user id');
  if (serverNameOf(userId) !== c.get('config').serverName) throw new MatrixError(400, ErrCode.UNKNOWN, 'Can only look up local users');
  if (!(await getUser(httpDb(c.env), userId))) throw notFound('Unknown user');
  return userId;
}

function page(c: Ctx): { from: number; limit: number } {
  const num = (name: string, fallback: number) => {
    const v = c.req.query(name);
    if (v === undefined) return fallback;
    if (!/^\d{1,9}$/.test(v)) throw invalidParam(`${name} must be a non-negative integer`);
    return Number(v);
  };
  return { from: num('from', 0), limit: Math.min(num('limit', 100), 1000) };
}

adminMedia.get('/media/:serverName/:mediaId', serverAdmin, async (c) => c.json({ media_info: await admin.mediaInfo(c.env, localId(c)) }));

adminMedia.post('/media/quarantine/:serverName/:mediaId', serverAdmin, async (c) => {
  await admin.quarantine(c.env, localId(c), c.get('requester').userId);
  return c.json({});
});

adminMedia.post('/media/unquarantine/:serverName/:mediaId', serverAdmin, async (c) => {
  await admin.quarantine(c.env, localId(c), null);
  return c.json({});
});

adminMedia.post('/media/protect/:mediaId', serverAdmin, async (c) => {
  await admin.protect(c.env, localId(c), true);
  return c.json({});
});

adminMedia.post('/media/unprotect/:mediaId', serverAdmin, async (c) => {
  await admin.protect(c.env, localId(c), false);
  return c.json({});
});

adminMedia.delete('/media/:serverName/:mediaId', serverAdmin, async (c) => {
  if (c.req.param('serverName') !== c.get('config').serverName) throw new MatrixError(400, ErrCode.UNKNOWN, 'Can only delete local media');
  const mediaId = localId(c);
  await admin.mediaInfo(c.env, mediaId); // 404 when unknown
  const deleted = await admin.deleteMedia(c.env, [mediaId]);
  return c.json({ deleted_media: deleted, total: deleted.length });
});

adminMedia.post('/user/:userId/media/quarantine', serverAdmin, async (c) => {
  const userId = await localUser(c);
  return c.json({ num_quarantined: await admin.quarantineUser(c.env, userId, c.get('requester').userId) });
});

adminMedia.get('/users/:userId/media', serverAdmin, async (c) => {
  const userId = await localUser(c);
  const { from, limit } = page(c);
  const { rows, total } = await admin.userMedia(c.env, userId, from, limit);
  return c.json({ media: rows.map(admin.describe), total, ...(from + limit < total ? { next_token: from + rows.length } : {}) });
});

adminMedia.delete('/users/:userId/media', serverAdmin, async (c) => {
  const userId = await localUser(c);
  const { from, limit } = page(c);
  const { rows } = await admin.userMedia(c.env, userId, from, limit);
  const deleted = await admin.deleteMedia(c.env, rows.map((r) => r.mediaId));
  return c.json({ deleted_media: deleted, total: deleted.length });
});
