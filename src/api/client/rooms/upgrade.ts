// POST /rooms/{roomId}/upgrade (spec: client-server "Room Upgrades").
import { Hono } from 'hono';
import { httpDb } from '../../../db/client';
import { requireAuth, roomObject } from '../../../http/auth';
import { jsonObject } from '../../../http/body';
import { rateLimitUser } from '../../../http/rate-limit';
import type { AppEnv } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkUserId } from '../../../matrix/ids';
import { serverSigningKey } from '../../../services/federation/server-key';
import { roomVersionFor } from '../../../services/rooms/create-room';
import { upgradeRoom } from '../../../services/rooms/upgrade';
import { roomIdParam } from './params';

export const upgradeApi = new Hono<AppEnv>();

upgradeApi.post('/rooms/:roomId/upgrade', requireAuth(), async (c) => {
  const roomId = roomIdParam(c);
  const req = await jsonObject(c);
  if (req.new_version === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'new_version is required');
  if (typeof req.new_version !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, 'new_version must be a string');
  const newVersion = roomVersionFor(req.new_version);
  let additionalCreators: string[] | undefined;
  // Versions without additional creators ignore the field (spec).
  if (newVersion.roomCreators && req.additional_creators !== undefined) {
    const list = req.additional_creators;
    if (!Array.isArray(list) || !list.every((u) => typeof u === 'string')) throw new MatrixError(400, ErrCode.BAD_JSON, 'additional_creators must be a list of user ids');
    const bad = list.find((u) => checkUserId(u) !== null);
    if (bad !== undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id in additional_creators: ${bad}`);
    additionalCreators = list;
  }
  await rateLimitUser(c, 'messages'); // the whole upgrade, as a room creation
  const { serverName } = c.get('config');
  const rooms = {
    create: (...args: Parameters<ReturnType<typeof roomObject>['create']>) => roomObject(c.env, args[0]).create(...args),
    submit: (id: string, intent: Parameters<ReturnType<typeof roomObject>['submit']>[1]) => roomObject(c.env, id).submit(id, intent),
  };
  const signer = { serverName, key: await serverSigningKey(c.env) };
  const replacement = await upgradeRoom(httpDb(c.env), rooms, signer, { roomId, userId: c.get('requester').userId, newVersion, additionalCreators });
  return c.json({ replacement_room: replacement });
});
