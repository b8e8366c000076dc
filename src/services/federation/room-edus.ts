// Typing notifications and read receipts of local users, for the other servers in the room (spec:
// server-server "Typing Notifications" and "Receipts"). Typing is worthless once it has timed out,
// so its EDU expires from the sending queue; only public read receipts leave this server.
import type { OutgoingItem } from '../../../durable-objects/destination';

/** How long a remote server shows typing without a refresh; a stopped-typing EDU is not worth more. */
const TYPING_EDU_LIFETIME_MS = 30_000;

export function typingEdu(roomId: string, userId: string, typing: boolean, timeoutMs: number, now = Date.now()): OutgoingItem {
  return {
    kind: 'edu',
    body: { edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing } },
    expiresTs: now + (typing ? Math.min(timeoutMs, TYPING_EDU_LIFETIME_MS) : TYPING_EDU_LIFETIME_MS),
  };
}

/** The m.receipt EDU of one receipt; undefined for receipts that stay on this server (private ones). */
export function receiptEdu(roomId: string, userId: string, receiptType: string, eventId: string, threadId: string, ts: number): OutgoingItem | undefined {
  if (receiptType !== 'm.read') return undefined;
  const data: Record<string, unknown> = { ts };
  if (threadId !== '') data.thread_id = threadId;
  return { kind: 'edu', body: { edu_type: 'm.receipt', content: { [roomId]: { [receiptType]: { [userId]: { event_ids: [eventId], data } } } } } };
}
