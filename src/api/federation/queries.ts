// GET /_matrix/federation/v1/query/directory and /query/profile (spec: server-server "Querying
// for information"): our aliases and our users' profiles, for other servers.
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import { getProfile } from '../../db/queries/user-data';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { checkRoomAlias, checkUserId, serverNameOf } from '../../matrix/ids';
import { lookupAlias } from '../../services/rooms/directory';

export const federationQueries = new Hono<AppEnv>();

function required(c: Ctx, name: string): string {
  const value = c.req.query(name);
  if (value === undefined || value === '') throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing ${name}`);
  return value;
}

federationQueries.get('/query/directory', requireServerAuth, async (c) => {
  const alias = required(c, 'room_alias');
  const reason = checkRoomAlias(alias);
  if (reason !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room alias: ${reason}`);
  const ours = c.get('config').serverName;
  if (serverNameOf(alias) !== ours) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Room alias not found: it is not one of this server');
  return c.json(await lookupAlias(httpDb(c.env), ours, alias));
});

federationQueries.get('/query/profile', requireServerAuth, async (c) => {
  const userId = required(c, 'user_id');
  if (checkUserId(userId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id: ${userId}`);
  if (serverNameOf(userId) !== c.get('config').serverName) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'User is not hosted on this server');
  const profile = await getProfile(httpDb(c.env), userId);
  if (!profile) throw new MatrixError(404, ErrCode.NOT_FOUND, 'User does not exist');
  const field = c.req.query('field');
  if (field === undefined) return c.json(profile);
  if (!(field in profile) || profile[field] === null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Profile field was not found');
  return c.json({ [field]: profile[field] });
});
