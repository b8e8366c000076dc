// EDUs received in a transaction (spec: server-server "EDUs"): each kind goes where it belongs.
// An EDU is dropped when malformed or when it speaks for users of another server than its origin.
import type { Env } from '../../config';
import { roomObject } from '../../http/auth';
import { serverNameOf } from '../../matrix/ids';

type Edu = { edu_type?: unknown; content?: unknown };
export type EduHandler = (env: Env, origin: string, content: Record<string, unknown>) => Promise<void>;

const fromOrigin = (origin: string, userId: unknown): userId is string => typeof userId === 'string' && serverNameOf(userId) === origin;

/** m.typing: a remote user started or stopped typing in a room we share. */
async function typing(env: Env, origin: string, content: Record<string, unknown>): Promise<void> {
  const { room_id: roomId, user_id: userId, typing: isTyping } = content;
  if (typeof roomId !== 'string' || !fromOrigin(origin, userId) || typeof isTyping !== 'boolean') return;
  // Remote typing has no timeout of its own; Synapse expires it after 30 s.
  await roomObject(env, roomId).typing(roomId, userId, isTyping, 30_000);
}

/** m.receipt: read receipts of remote users, per room and receipt type. */
async function receipt(env: Env, origin: string, content: Record<string, unknown>): Promise<void> {
  for (const [roomId, byType] of Object.entries(content)) {
    if (typeof byType !== 'object' || byType === null) continue;
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

/** Handlers by EDU type; other modules register theirs (presence, device lists, to-device). */
export const eduHandlers: Record<string, EduHandler> = { 'm.typing': typing, 'm.receipt': receipt };

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
