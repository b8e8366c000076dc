// Server-side key backups (spec: "Server-side key backups"): /room_keys/version and /room_keys/keys.
import { Hono } from 'hono';
import { requireAuth, userObject } from '../../http/auth';
import { body, jsonObject, validate } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { missingParam } from '../../http/errors';
import { keyBackupData, roomKeyBackup, roomsBackup, versionBody, type KeyBackupData } from '../../services/e2ee/backup';

export const roomKeys = new Hono<AppEnv>();

roomKeys.post('/room_keys/version', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).createKeyBackup(r.userId, await body(c, versionBody.omit({ version: true }))));
});

roomKeys.get('/room_keys/version', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).getKeyBackup(r.userId));
});

roomKeys.get('/room_keys/version/:version', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).getKeyBackup(r.userId, c.req.param('version')));
});

roomKeys.put('/room_keys/version/:version', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).updateKeyBackup(r.userId, c.req.param('version'), await body(c, versionBody)));
});

roomKeys.delete('/room_keys/version/:version', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).deleteKeyBackup(r.userId, c.req.param('version')));
});

function versionOf(c: Ctx): string {
  const version = c.req.query('version');
  if (version === undefined) throw missingParam("Missing 'version' parameter");
  return version;
}

/** The three shapes of a PUT body (all rooms, one room, one session) as rooms → sessions → key. */
async function keysBody(c: Ctx, roomId?: string, sessionId?: string): Promise<Record<string, Record<string, KeyBackupData>>> {
  const raw = await jsonObject(c);
  if (roomId !== undefined && sessionId !== undefined) return { [roomId]: { [sessionId]: validate(keyBackupData, raw) } };
  if (roomId !== undefined) return { [roomId]: validate(roomKeyBackup, raw).sessions };
  return Object.fromEntries(Object.entries(validate(roomsBackup, raw).rooms).map(([room, backup]) => [room, backup.sessions]));
}

for (const path of ['/room_keys/keys', '/room_keys/keys/:roomId', '/room_keys/keys/:roomId/:sessionId']) {
  roomKeys.put(path, requireAuth(), async (c) => {
    const r = c.get('requester');
    const version = versionOf(c);
    const rooms = await keysBody(c, c.req.param('roomId'), c.req.param('sessionId'));
    return c.json(await userObject(c.env, r.userId).putBackupKeys(r.userId, version, rooms));
  });
  roomKeys.get(path, requireAuth(), async (c) => {
    const r = c.get('requester');
    return c.json(await userObject(c.env, r.userId).getBackupKeys(r.userId, versionOf(c), c.req.param('roomId'), c.req.param('sessionId')));
  });
  roomKeys.delete(path, requireAuth(), async (c) => {
    const r = c.get('requester');
    return c.json(await userObject(c.env, r.userId).deleteBackupKeys(r.userId, versionOf(c), c.req.param('roomId'), c.req.param('sessionId')));
  });
}
