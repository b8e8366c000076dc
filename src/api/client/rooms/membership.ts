// Room membership (spec: client-server "Room membership"): join, invite, leave, kick, ban, unban,
// knock, forget, joined_rooms.
import { Hono } from 'hono';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { httpDb } from '../../../db/client';
import { resolveAlias } from '../../../db/queries/aliases';
import { roomsOfUser } from '../../../db/queries/rooms';
import { getProfile } from '../../../db/queries/user-data';
import { roomMemberships } from '../../../db/schema';
import { requireAuth, roomObject } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { rateLimitUser } from '../../../http/rate-limit';
import { checkRoomAlias, checkRoomId, checkUserId, serverNameOf } from '../../../matrix/ids';
import type { Intent } from '../../../services/rooms/intents';
import { joinRemoteRoom, knockRemoteRoom, rejectRemoteInvite } from '../../../services/federation/join';
import { remoteAlias } from '../../../services/federation/queries';

export const membership = new Hono<AppEnv>();

const reasonBody = z.object({ reason: z.string().optional() }).passthrough();
const targetBody = z.object({ user_id: z.string(), reason: z.string().optional() }).passthrough();

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

/**
 * A room id, or an alias resolved to one: ours from the directory, another server's by asking it,
 * which also names servers in the room (`via`).
 */
async function resolveRoom(c: Ctx, idOrAlias: string): Promise<{ roomId: string; via: string[] }> {
  if (idOrAlias.startsWith('#')) {
    if (checkRoomAlias(idOrAlias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room alias: ${idOrAlias}`);
    if (serverNameOf(idOrAlias) !== c.get('config').serverName) {
      const remote = await remoteAlias(c.env, idOrAlias);
      return { roomId: remote.room_id, via: remote.servers };
    }
    const roomId = await resolveAlias(httpDb(c.env), idOrAlias);
    if (!roomId) throw new MatrixError(404, ErrCode.NOT_FOUND, `Room alias ${idOrAlias} not found`);
    return { roomId, via: [] };
  }
  if (checkRoomId(idOrAlias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id or alias: ${idOrAlias}`);
  return { roomId: idOrAlias, via: [] };
}

function checkTarget(userId: string): string {
  if (checkUserId(userId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id: ${userId}`);
  return userId;
}

async function submit(c: Ctx, roomId: string, intent: Intent): Promise<string> {
  const { eventId } = await roomObject(c.env, roomId).submit(roomId, intent);
  return eventId;
}

async function profileOf(c: Ctx, userId: string) {
  const p = (await getProfile(httpDb(c.env), userId)) ?? {};
  return { displayname: p.displayname, avatar_url: p.avatar_url };
}

/**
 * Servers that may let us into a room we do not have: those the client names (`via`, or the
 * deprecated `server_name`), the server of a pending invite's sender, and the room id's server.
 */
async function candidateServers(c: Ctx, roomId: string, userId: string, aliasServers: string[] = []): Promise<string[]> {
  const params = new URL(c.req.url).searchParams;
  const servers = [...params.getAll('via'), ...params.getAll('server_name'), ...aliasServers];
  const [invite] = await httpDb(c.env).select({ sender: roomMemberships.sender }).from(roomMemberships).where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, userId)));
  const inviter = invite ? serverNameOf(invite.sender) : undefined;
  if (inviter) servers.push(inviter);
  const roomServer = serverNameOf(roomId);
  if (roomServer) servers.push(roomServer);
  return [...new Set(servers)];
}

async function join(c: Ctx, roomId: string, aliasServers: string[] = []) {
  const r = c.get('requester');
  const req = await body(c, reasonBody, { emptyAsObject: true });
  await rateLimitUser(c, 'joins');
  const rooms = roomObject(c.env, roomId);
  const profile = await profileOf(c, r.userId);
  try {
    await rooms.info(roomId, r.userId);
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === ErrCode.NOT_FOUND)) throw e;
    // Not a room of this server: join through one that has it (federation).
    const content: Record<string, unknown> = { ...profile };
    if (req.reason !== undefined) content.reason = req.reason;
    for (const k of Object.keys(content)) if (content[k] === undefined) delete content[k];
    await joinRemoteRoom(c.env, roomId, r.userId, await candidateServers(c, roomId, r.userId, aliasServers), content);
    return c.json({ room_id: roomId });
  }
  await submit(c, roomId, { kind: 'membership', sender: r.userId, target: r.userId, action: 'join', reason: req.reason, profile });
  return c.json({ room_id: roomId });
}

membership.post('/join/:roomIdOrAlias', requireAuth(), async (c) => {
  const { roomId, via } = await resolveRoom(c, c.req.param('roomIdOrAlias'));
  return join(c, roomId, via);
});
membership.post('/rooms/:roomId/join', requireAuth(), async (c) => join(c, roomIdParam(c)));

membership.post('/knock/:roomIdOrAlias', requireAuth(), async (c) => {
  const r = c.get('requester');
  const { roomId, via } = await resolveRoom(c, c.req.param('roomIdOrAlias'));
  const req = await body(c, reasonBody, { emptyAsObject: true });
  const profile = await profileOf(c, r.userId);
  try {
    await submit(c, roomId, { kind: 'membership', sender: r.userId, target: r.userId, action: 'knock', reason: req.reason, profile });
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === ErrCode.NOT_FOUND)) throw e;
    // A room of other servers: knock through one of them.
    const content: Record<string, unknown> = {};
    for (const [k, v] of Object.entries({ ...profile, reason: req.reason })) if (v !== undefined) content[k] = v;
    await knockRemoteRoom(c.env, roomId, r.userId, [...via, ...(await candidateServers(c, roomId, r.userId))], content);
  }
  return c.json({ room_id: roomId });
});

membership.post('/rooms/:roomId/invite', requireAuth(), async (c) => {
  const r = c.get('requester');
  const roomId = roomIdParam(c);
  const raw = await body(c, z.object({ user_id: z.string().optional(), reason: z.string().optional() }).passthrough());
  if (raw.user_id === undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Third-party invites are not supported by this server');
  const target = checkTarget(raw.user_id);
  await rateLimitUser(c, 'invites', target);
  await submit(c, roomId, { kind: 'membership', sender: r.userId, target, action: 'invite', reason: raw.reason, profile: await profileOf(c, target) });
  return c.json({});
});

membership.post('/rooms/:roomId/leave', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const req = await body(c, reasonBody, { emptyAsObject: true });
  const roomId = roomIdParam(c);
  try {
    await submit(c, roomId, { kind: 'membership', sender: r.userId, target: r.userId, action: 'leave', reason: req.reason });
  } catch (e) {
    if (!(e instanceof MatrixError && e.errcode === ErrCode.NOT_FOUND)) throw e;
    // An invite to a room this server is not in: rejected through the inviting server.
    await rejectRemoteInvite(c.env, roomId, r.userId, await candidateServers(c, roomId, r.userId), req.reason);
  }
  return c.json({});
});

for (const action of ['kick', 'ban', 'unban'] as const) {
  membership.post(`/rooms/:roomId/${action}`, requireAuth(), async (c) => {
    const r = c.get('requester');
    const req = await body(c, targetBody);
    if (checkUserId(req.user_id) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id: ${req.user_id}`);
    await submit(c, roomIdParam(c), { kind: 'membership', sender: r.userId, target: req.user_id, action, reason: req.reason });
    return c.json({});
  });
}

membership.post('/rooms/:roomId/forget', requireAuth(), async (c) => {
  const r = c.get('requester');
  const roomId = roomIdParam(c);
  const db = httpDb(c.env);
  const [row] = await db.select().from(roomMemberships).where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, r.userId)));
  if (row && (row.membership === 'join' || row.membership === 'invite' || row.membership === 'knock')) {
    throw new MatrixError(400, ErrCode.UNKNOWN, 'You must leave the room before forgetting it');
  }
  if (row) {
    await db
      .update(roomMemberships)
      .set({ forgotten: true })
      .where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, r.userId), inArray(roomMemberships.membership, ['leave', 'ban'])));
  }
  return c.json({});
});

membership.get('/joined_rooms', requireAuth({ allowGuests: true }), async (c) => {
  return c.json({ joined_rooms: await roomsOfUser(httpDb(c.env), c.get('requester').userId, 'join') });
});
