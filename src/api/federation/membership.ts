// Joining, leaving and knocking through this server, and invites to our users (spec: server-server
// "Joining Rooms", "Leaving Rooms", "Knocking upon a room", "Inviting to a room").
import { Hono } from 'hono';
import { roomObject } from '../../http/auth';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { checkRoomId, checkUserId } from '../../matrix/ids';
import { receiveInvite, receiveInviteV1 } from '../../services/federation/invite';
import type { RemoteMembership } from '../../services/rooms/resident-membership';

export const federationMembership = new Hono<AppEnv>();

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

for (const membership of ['join', 'leave', 'knock'] as RemoteMembership[]) {
  federationMembership.get(`/v1/make_${membership}/:roomId/:userId`, requireServerAuth, async (c) => {
    const roomId = roomIdParam(c);
    const userId = c.req.param('userId');
    if (checkUserId(userId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id: ${userId}`);
    const versions = membership === 'leave' ? undefined : new URL(c.req.url).searchParams.getAll('ver');
    return c.json(await roomObject(c.env, roomId).makeMembership(roomId, c.get('origin'), userId, membership, versions));
  });
  const send = async (c: Ctx) => {
    const roomId = roomIdParam(c);
    const result = await roomObject(c.env, roomId).sendMembership(roomId, c.get('origin'), c.req.param('eventId')!, c.get('federationBody'), membership);
    return c.json(result);
  };
  federationMembership.put(`/v2/send_${membership}/:roomId/:eventId`, requireServerAuth, send);
  if (membership === 'knock') federationMembership.put(`/v1/send_knock/:roomId/:eventId`, requireServerAuth, send);
}

federationMembership.put('/v2/invite/:roomId/:eventId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await receiveInvite(c.env, c.get('origin'), roomId, c.req.param('eventId'), c.get('federationBody')));
});

// The v1 API (rooms of versions 1 and 2): the body is the event, the answer [200, { event }].
federationMembership.put('/v1/invite/:roomId/:eventId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await receiveInviteV1(c.env, c.get('origin'), roomId, c.req.param('eventId')!, c.get('federationBody')));
});
