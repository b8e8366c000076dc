// Client config: account data, global and per room (spec: Client-Server "Client Config").
import { Hono } from 'hono';
import { requireAuth, userObject } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError, forbidden } from '../../http/errors';

export const accountData = new Hono<AppEnv>();

/**
 * Types the server manages itself, refused globally and per room alike (spec: Client Config,
 * Server Behaviour); clients set them through their own endpoints.
 */
const SERVER_MANAGED = new Set(['m.fully_read', 'm.push_rules']);
const ROOM_ID = /^![^:]+:.+$|^![A-Za-z0-9_-]{43}$/;

function owner(c: Ctx, verb: 'add' | 'get'): string {
  const userId = c.req.param('userId')!;
  if (userId !== c.get('requester').userId) throw forbidden(`Cannot ${verb} account data for other users.`);
  return userId;
}

function roomOf(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (!ROOM_ID.test(roomId)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `'${roomId}' is not a valid room ID`);
  return roomId;
}

function checkType(type: string): void {
  if (SERVER_MANAGED.has(type)) throw new MatrixError(405, ErrCode.BAD_JSON, `Cannot set ${type} through this API.`);
  if (type.length === 0 || type.length > 255) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid account data type');
}

accountData.get('/user/:userId/account_data/:type', requireAuth({ allowGuests: true }), async (c) => {
  const userId = owner(c, 'get');
  return c.json(await userObject(c.env, userId).getAccountData(userId, '', c.req.param('type')));
});

accountData.put('/user/:userId/account_data/:type', requireAuth({ allowGuests: true }), async (c) => {
  const userId = owner(c, 'add');
  const type = c.req.param('type');
  checkType(type);
  await userObject(c.env, userId).putAccountData(userId, '', type, await jsonObject(c));
  return c.json({});
});

accountData.get('/user/:userId/rooms/:roomId/account_data/:type', requireAuth({ allowGuests: true }), async (c) => {
  const userId = owner(c, 'get');
  return c.json(await userObject(c.env, userId).getAccountData(userId, roomOf(c), c.req.param('type')));
});

accountData.put('/user/:userId/rooms/:roomId/account_data/:type', requireAuth({ allowGuests: true }), async (c) => {
  const userId = owner(c, 'add');
  const roomId = roomOf(c);
  const type = c.req.param('type');
  checkType(type);
  await userObject(c.env, userId).putAccountData(userId, roomId, type, await jsonObject(c));
  return c.json({});
});
