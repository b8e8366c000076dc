// EDUs received in a transaction (spec: server-server "EDUs"): each kind goes where it belongs.
// An EDU is dropped when malformed or when it speaks for users of another server than its origin;
// the EDUs of a room are dropped when the room's ACL bans the origin (spec: "Server ACLs").
import { config, type Env } from '../../config';
import { httpDb } from '../../db/client';
import { roomObject } from '../../http/auth';
import { serverNameOf } from '../../matrix/ids';
import { roomsBanning, serverAllowedInRoom } from './acl';
import { onDeviceListUpdate, onSigningKeyUpdate } from './device-lists';
import { onPresence } from './presence';
import { onDirectToDevice } from './to-device';

type Edu = { edu_type?: unknown; content?: unknown };
export type EduHandler = (env: Env, origin: string, content: Record<string, unknown>) => Promise<void>;

const fromOrigin = (origin: string, userId: unknown): userId is string => typeof userId === 'string' && serverNameOf(userId) === origin;

/** m.typing: a remote user started or stopped typing in a room we share. */
async function typing(env: Env, origin: string, content: Record<string, unknown>): Promise<void> {
  const { room_id: roomId, user_id: userId, typing: isTyping } = content;
  if (typeof roomId !== 'string' || !fromOrigin(origin, userId) || typeof isTyping !== 'boolean') return;
  if (!(await serverAllowedInRoom(httpDb(env), roomId, origin))) return;
  // Remote typing has no timeout of its own; Synapse expires it after 30 s.
  await roomObject(env, roomId).typing(roomId, userId, isTyping, 30_000);
}

/** m.receipt: read receipts of remote users, per room and receipt type. */
async function receipt(env: Env, origin: string, content: Record<string, unknown>): Promise<void> {
  const banned = await roomsBanning(httpDb(env), Object.keys(content), origin);
  for (const [roomId, byType] of Object.entries(content)) {
    if (typeof byType !== 'object' || byType === null || banned.has(roomId)) continue;
    for (const [receiptType, byUser] of Object.entries(byType as Record<string, unknown>)) {
      if (receiptType !== 'm.read' || typeof byUser !== 'object' || byUser === null) continue;
      for (const [userId, r] of Object.entries(byUser as Record<string, { event_ids?: unknown; data?: { thread_id?: unknown } }>)) {
        if (!fromOrigin(origin, userId) || !Array.isArray(r?.event_ids)) continue;
        const threadId = typeof r.data?.thread_id === 'string' ? r.data.thread_id : '';
        for (const eventId of r.event_ids) {
          if (typeof eventId === 'string') await roomObject(env, roomId).receipt(roomId, userId, receiptType, eventId, threadId).catch(() => undefined);
        }
      }
    }
  }
}

/** Handlers by EDU type. */
export const eduHandlers: Record<string, EduHandler> = {
  'm.typing': typing,
  'm.receipt': receipt,
  'm.presence': (env, origin, content) => onPresence(env, httpDb(env), origin, content),
  'm.device_list_update': (env, origin, content) => onDeviceListUpdate(env, httpDb(env), origin, content),
  'm.signing_key_update': (env, origin, content) => onSigningKeyUpdate(env, httpDb(env), origin, content),
  'm.direct_to_device': (env, origin, content) => onDirectToDevice(env, httpDb(env), config(env).serverName, origin, content),
};

export async function receiveEdus(env: Env, origin: string, edus: unknown[]): Promise<void> {
  for (const edu of edus as Edu[]) {
    const handler = typeof edu?.edu_type === 'string' ? eduHandlers[edu.edu_type] : undefined;
    if (!handler || typeof edu.content !== 'object' || edu.content === null) continue;
    try {
      await handler(env, origin, edu.content as Record<string, unknown>);
    } catch (e) {
      console.warn(`[federation] ${String(edu.edu_type)} from ${origin} failed: ${e}`);
    }
  }
}
