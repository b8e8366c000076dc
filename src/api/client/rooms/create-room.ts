// POST /createRoom (spec: client-server "Creation").
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../../db/client';
import { deleteAlias, insertAlias } from '../../../db/queries/aliases';
import { getProfile } from '../../../db/queries/user-data';
import { requireAuth, roomObject } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { rateLimitUser } from '../../../http/rate-limit';
import { checkRoomAlias, checkUserId } from '../../../matrix/ids';
import { serverSigningKey } from '../../../services/federation/server-key';
import { planRoom } from '../../../services/rooms/create-room';
import { refuseNonCanonical } from '../../../services/rooms/pipeline';

const object = z.record(z.string(), z.unknown());
const createRoomBody = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().optional(),
  name: z.string().optional(),
  topic: z.string().optional(),
  invite: z.array(z.string()).optional(),
  invite_3pid: z.array(object).optional(),
  room_version: z.string().optional(),
  creation_content: object.optional(),
  initial_state: z.array(z.object({ type: z.string(), state_key: z.string().optional(), content: object })).optional(),
  preset: z.enum(['private_chat', 'trusted_private_chat', 'public_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: object.optional(),
});

export const createRoom = new Hono<AppEnv>();

createRoom.post('/createRoom', requireAuth(), async (c) => {
  const r = c.get('requester');
  const { serverName } = c.get('config');
  const req = await body(c, createRoomBody, { emptyAsObject: true });
  await rateLimitUser(c, 'messages'); // as Synapse, a room creation takes from the message bucket
  if (req.invite_3pid?.length) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Third-party invites are not supported by this server');
  for (const u of req.invite ?? []) {
    if (checkUserId(u) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id to invite: ${u}`);
  }
  const db = httpDb(c.env);
  let alias: string | undefined;
  if (req.room_alias_name !== undefined) {
    if (/[\s:]/.test(req.room_alias_name)) throw new MatrixError(400, ErrCode.INVALID_PARAM, "room_alias_name is a localpart: no ':' or whitespace");
    alias = `#${req.room_alias_name}:${serverName}`;
    if (checkRoomAlias(alias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid room alias');
  }
  for (const s of req.initial_state ?? []) {
    // Postgres text cannot hold U+0000 (and the spec caps both at 255 bytes).
    for (const [field, v] of [['type', s.type], ['state_key', s.state_key ?? '']] as const) {
      if (v.includes('\u0000') || new TextEncoder().encode(v).byteLength > 255) throw new MatrixError(400, ErrCode.BAD_JSON, `Invalid initial_state ${field}`);
    }
  }
  const profile = (await getProfile(db, r.userId)) ?? {};
  const plan = await planRoom(req, r.userId, profile, alias, { serverName, key: await serverSigningKey(c.env) }).catch(refuseNonCanonical);
  if (alias && !(await insertAlias(db, alias, plan.roomId, r.userId))) throw new MatrixError(400, ErrCode.ROOM_IN_USE, 'Room alias already taken');
  try {
    await roomObject(c.env, plan.roomId).create(plan.roomId, plan.createEvent, plan.intents, plan.published);
  } catch (e) {
    if (alias) await deleteAlias(db, alias);
    throw e;
  }
  return c.json({ room_id: plan.roomId });
});
