// Our users' devices and keys for other servers (spec: server-server "Device Management" and
// "End-to-End Encryption"): GET /user/devices/{userId}, POST /user/keys/query, POST /user/keys/claim.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { validate } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { jsonText } from '../../http/json-text';
import { checkUserId, serverNameOf } from '../../matrix/ids';
import { claimKeysJson, claimWanted } from '../../services/e2ee/keys';
import { keysForServer, userDevices } from '../../services/federation/device-lists';
import { keysClaimed } from '../../services/sync/wake';

export const federationUser = new Hono<AppEnv>();

federationUser.get('/user/devices/:userId', requireServerAuth, async (c) => {
  const userId = c.req.param('userId');
  if (checkUserId(userId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id: ${userId}`);
  if (serverNameOf(userId) !== c.get('config').serverName) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'User is not hosted on this server');
  return c.json(await userDevices(httpDb(c.env), userId));
});

const queryBody = z.object({ device_keys: z.record(z.string(), z.array(z.string())) }).passthrough();

federationUser.post('/user/keys/query', requireServerAuth, async (c) => {
  const req = validate(queryBody, c.get('federationBody'));
  return c.json(await keysForServer(httpDb(c.env), c.get('config').serverName, req.device_keys));
});

const claimBody = z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())) }).passthrough();

federationUser.post('/user/keys/claim', requireServerAuth, async (c) => {
  const req = validate(claimBody, c.get('federationBody'));
  const ours = c.get('config').serverName;
  const wanted = claimWanted(Object.entries(req.one_time_keys).filter(([userId]) => serverNameOf(userId) === ours));
  const { json, readers } = await claimKeysJson(httpDb(c.env), wanted);
  // The owners' objects keep key counts for /sync: they must drop them, as for a local claim.
  await keysClaimed(c.env, readers);
  return jsonText(c, `{"one_time_keys":${json}}`);
});
