// Profiles (spec: Client-Server "Profiles"), with the extended profile fields of v1.16.
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import { getProfile } from '../../db/queries/user-data';
import { requireAuth, userObject } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError, forbidden, notFound } from '../../http/errors';
import { checkUserId, serverNameOf } from '../../matrix/ids';
import { remoteProfile } from '../../services/federation/queries';

export const profile = new Hono<AppEnv>();

const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MXC = /^mxc:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9_-]+$/;

function checkKey(key: string): string {
  if (new TextEncoder().encode(key).byteLength > 255) throw new MatrixError(400, ErrCode.KEY_TOO_LARGE, 'Profile key is longer than 255 bytes');
  if (!KEY_NAME.test(key)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid profile key');
  return key;
}

async function profileOf(c: Ctx, userId: string): Promise<Record<string, unknown>> {
  const found = await getProfile(httpDb(c.env), userId);
  if (!found) throw notFound('Profile was not found');
  return found;
}

/** Another server's user: that server is asked (spec: GET /profile, "query/profile" over federation). */
function remoteUser(c: Ctx): string | undefined {
  const userId = c.req.param('userId')!;
  if (checkUserId(userId) !== null || serverNameOf(userId) === c.get('config').serverName) return undefined;
  return userId;
}

profile.get('/profile/:userId', async (c) => {
  const remote = remoteUser(c);
  return c.json(remote ? await remoteProfile(c.env, remote) : await profileOf(c, c.req.param('userId')));
});

profile.get('/profile/:userId/:keyName', async (c) => {
  const key = checkKey(c.req.param('keyName'));
  const remote = remoteUser(c);
  if (remote) return c.json(await remoteProfile(c.env, remote, key));
  const fields = await profileOf(c, c.req.param('userId'));
  if (!(key in fields)) throw notFound('Profile field was not found');
  return c.json({ [key]: fields[key] });
});

function ownProfile(c: Ctx): string {
  const userId = c.req.param('userId')!;
  if (userId !== c.get('requester').userId) throw forbidden("Cannot change another user's profile");
  return userId;
}

profile.put('/profile/:userId/:keyName', requireAuth({ allowGuests: true }), async (c) => {
  const userId = ownProfile(c);
  const key = checkKey(c.req.param('keyName'));
  const req = await jsonObject(c);
  if (!(key in req)) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing key '${key}'`);
  const value = req[key];
  if (key === 'displayname') {
    if (typeof value !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, 'displayname must be a string');
    if (value.length > 256) throw new MatrixError(400, ErrCode.BAD_JSON, 'displayname is longer than 256 characters');
  }
  if (key === 'avatar_url' && (typeof value !== 'string' || (value !== '' && !MXC.test(value)))) {
    throw new MatrixError(400, ErrCode.BAD_JSON, 'avatar_url must be an mxc:// URI');
  }
  await userObject(c.env, userId).setProfileField(userId, key, value);
  return c.json({});
});

profile.delete('/profile/:userId/:keyName', requireAuth({ allowGuests: true }), async (c) => {
  const userId = ownProfile(c);
  await userObject(c.env, userId).deleteProfileField(userId, checkKey(c.req.param('keyName')));
  return c.json({});
});
