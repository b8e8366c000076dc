// GET /notifications (spec: "Listing Notifications"): the events that notified the user, newest
// first, with the actions of the rule that matched and whether a read receipt covers them.
import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import * as q from '../../db/queries/push';
import { getEvents, type StoredEvent } from '../../db/queries/rooms';
import { rooms } from '../../db/schema';
import { roomVersion } from '../../matrix/room-versions';
import type { ClientEvent } from '../../matrix/types';
import type { PushAction } from '../../matrix/push-rules';
import { serveEvents, type Viewer } from '../rooms/serve';

export interface Notification {
  actions: PushAction[];
  event: Omit<ClientEvent, 'room_id'>;
  read: boolean;
  room_id: string;
  ts: number;
}

export interface NotificationsPage {
  notifications: Notification[];
  next_token?: string;
}

/** `from` tokens are the stream position to continue below. */
export function parseNotificationsToken(token: string): number | undefined {
  return /^[0-9]{1,15}$/.test(token) ? Number(token) : undefined;
}

export async function getNotifications(db: Db, viewer: Viewer, opts: { from?: number; limit: number; onlyHighlight: boolean }): Promise<NotificationsPage> {
  const rows = await q.notificationsPage(db, viewer.userId, { before: opts.from, limit: opts.limit + 1, onlyHighlight: opts.onlyHighlight });
  const more = rows.length > opts.limit;
  const page = rows.slice(0, opts.limit);
  const events = await getEvents(db, page.map((r) => r.eventId));
  const roomIds = [...new Set(page.map((r) => r.roomId))];
  const versions = roomIds.length ? await db.select({ roomId: rooms.roomId, version: rooms.version }).from(rooms).where(inArray(rooms.roomId, roomIds)) : [];

  // Served per room (room versions differ in redaction rules), then put back in order.
  const served = new Map<string, ClientEvent>();
  for (const { roomId, version } of versions) {
    const list = page.map((r) => events.get(r.eventId)).filter((e): e is StoredEvent => e?.roomId === roomId);
    for (const e of await serveEvents(db, roomVersion(version), list, viewer)) served.set(e.event_id, e);
  }
  const notifications: Notification[] = [];
  for (const r of page) {
    const event = served.get(r.eventId);
    if (!event) continue;
    const { room_id: _roomId, ...withoutRoomId } = event;
    notifications.push({ actions: r.actions, event: withoutRoomId, read: r.read, room_id: r.roomId, ts: r.ts });
  }
  const out: NotificationsPage = { notifications };
  if (more && page.length) out.next_token = String(page[page.length - 1].streamPos);
  return out;
}
