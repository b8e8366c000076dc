// Room aliases and directory visibility (spec: client-server "Room aliases", "Published room
// directory"): /directory/room/{roomAlias}, /rooms/{roomId}/aliases, /directory/list/room/{roomId}.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../../db/client';
import { requireAuth, roomObject } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv } from '../../../http/context';
import {
  createAlias,
  directoryVisibility,
  lookupAlias,
  removeAlias,
  roomAliases,
  setDirectoryVisibility,
} from '../../../services/rooms/directory';
import { remoteAlias } from '../../../services/federation/queries';
import { serverNameOf } from '../../../matrix/ids';
import { aliasParam, roomIdParam } from './params';

export const directory = new Hono<AppEnv>();

directory.put('/directory/room/:roomAlias', requireAuth(), async (c) => {
  const alias = aliasParam(c);
  const req = await body(c, z.object({ room_id: z.string() }).passthrough());
  await createAlias(httpDb(c.env), c.get('config').serverName, c.get('requester'), alias, req.room_id);
  return c.json({});
});

directory.get('/directory/room/:roomAlias', async (c) => {
  const alias = aliasParam(c);
  const ours = c.get('config').serverName;
  // Another server's alias: that server is asked (spec: GET /directory/room/{roomAlias}).
  return c.json(serverNameOf(alias) === ours ? await lookupAlias(httpDb(c.env), ours, alias) : await remoteAlias(c.env, alias));
});

directory.delete('/directory/room/:roomAlias', requireAuth(), async (c) => {
  const alias = aliasParam(c);
  await removeAlias(httpDb(c.env), c.get('requester'), alias, (roomId, intent) => roomObject(c.env, roomId).submit(roomId, intent));
  return c.json({});
});

directory.get('/rooms/:roomId/aliases', requireAuth(), async (c) => {
  return c.json({ aliases: await roomAliases(httpDb(c.env), c.get('requester'), roomIdParam(c)) });
});

directory.get('/directory/list/room/:roomId', async (c) => {
  return c.json({ visibility: await directoryVisibility(httpDb(c.env), roomIdParam(c)) });
});

directory.put('/directory/list/room/:roomId', requireAuth(), async (c) => {
  const roomId = roomIdParam(c);
  const req = await body(c, z.object({ visibility: z.enum(['public', 'private']).default('public') }).passthrough());
  await setDirectoryVisibility(httpDb(c.env), c.get('requester'), roomId, req.visibility);
  return c.json({});
});
