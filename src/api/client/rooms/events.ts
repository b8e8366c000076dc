// Sending and reading room events and state (spec: client-server "Sending events", "Getting
// events for a room", "Redactions").
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, roomObject } from '../../../http/auth';
import { jsonObject, body } from '../../../http/body';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { rateLimitUser } from '../../../http/rate-limit';
import { checkEventId, checkRoomId, checkUserId } from '../../../matrix/ids';
import type { Intent, Txn } from '../../../services/rooms/intents';
import { checkCanonicalAlias } from '../../../services/rooms/canonical-alias';

export const roomEvents = new Hono<AppEnv>();

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

/** U+0000 is valid JSON but no Postgres text can hold it: identifiers with it are refused. */
const hasNul = (s: string) => s.includes('\u0000');

function eventType(c: Ctx): string {
  const type = c.req.param('eventType')!;
  if (type.length === 0 || new TextEncoder().encode(type).byteLength > 255 || hasNul(type)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid event type');
  return type;
}

function stateKeyParam(c: Ctx): string {
  const stateKey = c.req.param('stateKey') ?? '';
  if (new TextEncoder().encode(stateKey).byteLength > 255) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'State key is too long');
  if (hasNul(stateKey)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'State keys cannot contain U+0000');
  return stateKey;
}

function txnOf(c: Ctx, scope: string): Txn {
  const r = c.get('requester');
  const txnId = c.req.param('txnId')!;
  if (txnId.length === 0 || txnId.length > 255 || hasNul(txnId)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid transaction id');
  return { userId: r.userId, deviceId: r.deviceId, scope, txnId };
}

/** The relation of an event is indexed by its target: one that cannot be stored is refused. */
function checkRelationFields(content: Record<string, unknown>): void {
  const rel = content['m.relates_to'];
  if (typeof rel !== 'object' || rel === null || Array.isArray(rel)) return;
  for (const field of ['event_id', 'rel_type']) {
    const v = (rel as Record<string, unknown>)[field];
    if (typeof v === 'string' && hasNul(v)) throw new MatrixError(400, ErrCode.BAD_JSON, `m.relates_to.${field} cannot contain U+0000`);
  }
}

const viewerOf = (c: Ctx) => ({ userId: c.get('requester').userId, deviceId: c.get('requester').deviceId });

async function submit(c: Ctx, roomId: string, intent: Intent) {
  await rateLimitUser(c, 'messages');
  return roomObject(c.env, roomId).submit(roomId, intent);
}

/** A redaction, through /redact or (MSC4169) through /send/m.room.redaction. */
function redactIntent(c: Ctx, roomId: string, target: string, content: Record<string, unknown>, txn: Txn): Intent {
  if (checkEventId(target) !== null || hasNul(target)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid event id: ${target}`);
  const rest = { ...content };
  delete rest.redacts;
  return { kind: 'redact', sender: c.get('requester').userId, target, content: rest, txn };
}

roomEvents.put('/rooms/:roomId/send/:eventType/:txnId', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const type = eventType(c);
  const content = await jsonObject(c);
  const txn = txnOf(c, `send:${roomId}:${type}`);
  checkRelationFields(content);
  if (type === 'm.room.redaction') {
    if (typeof content.redacts !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, 'A redaction needs content.redacts');
    const { eventId } = await submit(c, roomId, redactIntent(c, roomId, content.redacts, content, txn));
    return c.json({ event_id: eventId });
  }
  const { eventId } = await submit(c, roomId, { kind: 'event', sender: c.get('requester').userId, type, content, txn });
  return c.json({ event_id: eventId });
});

roomEvents.put('/rooms/:roomId/redact/:eventId/:txnId', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const target = c.req.param('eventId');
  const req = await body(c, z.object({ reason: z.string().optional() }).passthrough(), { emptyAsObject: true });
  const { eventId } = await submit(c, roomId, redactIntent(c, roomId, target, req, txnOf(c, `redact:${roomId}:${target}`)));
  return c.json({ event_id: eventId });
});

async function putState(c: Ctx) {
  const roomId = roomIdParam(c);
  const type = eventType(c);
  const stateKey = stateKeyParam(c);
  const content = await jsonObject(c);
  checkRelationFields(content);
  const sender = c.get('requester').userId;
  let intent: Intent;
  if (type === 'm.room.member') {
    // Membership goes through the membership rules, whichever endpoint asks for it.
    if (checkUserId(stateKey) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'The state key of a member event is a user id');
    const m = content.membership;
    const action = m === 'join' ? 'join' : m === 'invite' ? 'invite' : m === 'ban' ? 'ban' : m === 'knock' ? 'knock' : m === 'leave' ? (stateKey === sender ? 'leave' : 'kick') : undefined;
    if (!action) throw new MatrixError(400, ErrCode.BAD_JSON, 'Invalid membership');
    const { membership: _m, reason, ...extra } = content;
    intent = { kind: 'membership', sender, target: stateKey, action, reason: typeof reason === 'string' ? reason : undefined, extra, profile: extra };
  } else {
    if (type === 'm.room.canonical_alias') await checkCanonicalAlias(c.env, roomId, stateKey, content);
    intent = { kind: 'event', sender, type, content, stateKey };
  }
  const { eventId } = await submit(c, roomId, intent);
  return c.json({ event_id: eventId });
}

// The empty state key is written with or without a trailing slash (clients send both).
roomEvents.put('/rooms/:roomId/state/:eventType/:stateKey?', requireAuth(), putState);
roomEvents.put('/rooms/:roomId/state/:eventType/', requireAuth(), putState);

async function getStateEvent(c: Ctx) {
  const roomId = roomIdParam(c);
  const event = await roomObject(c.env, roomId).stateEvent(roomId, viewerOf(c), eventType(c), c.req.param('stateKey') ?? '');
  const format = c.req.query('format') ?? 'content';
  if (format !== 'content' && format !== 'event') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'format must be "content" or "event"');
  return c.json(format === 'event' ? event : event.content);
}

roomEvents.get('/rooms/:roomId/state/:eventType/:stateKey?', requireAuth({ allowGuests: true }), getStateEvent);
roomEvents.get('/rooms/:roomId/state/:eventType/', requireAuth({ allowGuests: true }), getStateEvent);

roomEvents.get('/rooms/:roomId/state', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await roomObject(c.env, roomId).state(roomId, viewerOf(c)));
});

roomEvents.get('/rooms/:roomId/event/:eventId', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const eventId = c.req.param('eventId');
  if (checkEventId(eventId) !== null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  return c.json(await roomObject(c.env, roomId).event(roomId, viewerOf(c), eventId));
});
