// GET /sync (spec: client-server "Syncing"): one computation from `since` (or from scratch) up to
// the stream heads read in the same snapshot as the user's memberships.
import { accountDataSince } from '../../db/queries/user-data';
import { presenceSince } from '../../db/queries/presence';
import { ackAndReadToDevice, receiptsSince, roomMates, syncSnapshot } from '../../db/queries/sync';
import { shapeUnreadCounts } from '../../db/queries/push';
import { defaultPushRulesContent } from '../push/rules';
import { matchesFilter } from '../../matrix/event-filter';
import { presenceContent } from '../../matrix/presence';
import type { JsonObject } from '../../matrix/types';
import type { SyncContext } from './context';
import { roomSections, steadyWindow, type RoomSections } from './room-section';
import { formatSyncToken, type SyncToken } from './token';

/** To-device messages per response at most; the rest come with the next sync. */
const TO_DEVICE_LIMIT = 100;

export interface SyncResponse {
  next_batch: string;
  rooms?: Partial<RoomSections>;
  account_data?: { events: { type: string; content: JsonObject }[] };
  presence?: { events: JsonObject[] };
  to_device?: { events: JsonObject[] };
  device_lists?: { changed?: string[]; left?: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
}

/** Optional parts contributed by other modules (end-to-end encryption, notification counts). */
export interface SyncExtensions {
  deviceLists?(ctx: SyncContext): Promise<{ changed: string[]; left: string[] }>;
  keyCounts?(ctx: Pick<SyncContext, 'db' | 'userId' | 'deviceId'>): Promise<{ otk: Record<string, number>; fallback: string[] }>;
}

export interface SyncOutcome {
  response: SyncResponse;
  /** Whether anything is new for the client (an empty incremental sync may long-poll). */
  news: boolean;
  heads: { e: number; m: number };
}

export async function computeSync(base: Omit<SyncContext, 'upto'>, typingSerial: number, ext: SyncExtensions = {}): Promise<SyncOutcome> {
  const { db, userId, deviceId, since } = base;
  // One statement reads the heads, the memberships, the steady rooms' new events and the unread counts.
  const snapshot = await syncSnapshot(db, userId, { since: since && !base.fullState ? since.e : undefined, perRoom: steadyWindow(base.filter), unread: true });
  const { rows, e, m } = snapshot;
  const upto: SyncToken = { e, m, t: typingSerial };
  const ctx: SyncContext = { ...base, upto };
  const afterM = since && !base.fullState ? since.m : 0;
  // Account data, receipts, presence and to-device can only have changed if the misc stream moved:
  // when only room events did (the common wake-up), their queries are skipped.
  const miscMoved = afterM < upto.m;
  const acked = base.waiters.ackedToDevice.get(deviceId) ?? -1;

  // To-device first: if they are truncated, every misc stream stops where they stopped.
  const toDevice = miscMoved || (since?.m ?? 0) > acked ? await ackAndReadToDevice(db, userId, deviceId, since?.m ?? 0, upto.m, TO_DEVICE_LIMIT) : [];
  base.waiters.ackedToDevice.set(deviceId, Math.max(acked, since?.m ?? 0));
  if (toDevice.length === TO_DEVICE_LIMIT) upto.m = toDevice[toDevice.length - 1].streamPos;

  const accountData = miscMoved ? await accountDataSince(db, userId, afterM, upto.m) : [];
  const roomAccountData = new Map<string, { type: string; content: JsonObject }[]>();
  for (const a of accountData) {
    if (a.roomId === '') continue;
    let list = roomAccountData.get(a.roomId);
    if (!list) roomAccountData.set(a.roomId, (list = []));
    list.push({ type: a.type, content: a.content });
  }

  const joinedIds = rows.filter((r) => r.membership === 'join').map((r) => r.roomId);
  const receipts = miscMoved ? await receiptsSince(db, joinedIds, userId, afterM, upto.m) : [];
  // Counts change with new events and with receipts.
  const countsMoved = miscMoved || !since || base.fullState || since.e < upto.e;
  const unread = countsMoved ? shapeUnreadCounts(snapshot.unread ?? [], joinedIds, base.filter.room?.timeline?.unread_thread_notifications === true) : new Map();
  const ephemeralFilter = base.filter.room?.ephemeral;
  const roomAccountFilter = base.filter.room?.account_data;

  const rooms = await roomSections(ctx, rows, async (roomId, joined) => {
    const ephemeral: { type: string; content: JsonObject }[] = [];
    if (joined) {
      const typing = base.waiters.typing.get(roomId);
      if (typing && (since === undefined || base.fullState ? typing.userIds.length > 0 : typing.t > since.t)) {
        ephemeral.push({ type: 'm.typing', content: { user_ids: typing.userIds } });
      }
      const roomReceipts = receipts.filter((r) => r.roomId === roomId);
      if (roomReceipts.length) {
        const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
        for (const r of roomReceipts) {
          const data: JsonObject = { ts: r.ts };
          if (r.threadId !== '') data.thread_id = r.threadId;
          ((content[r.eventId] ??= {})[r.receiptType] ??= {})[r.userId] = data;
        }
        ephemeral.push({ type: 'm.receipt', content });
      }
    }
    const accountDataEvents = (roomAccountData.get(roomId) ?? []).filter((a) => matchesFilter(roomAccountFilter, { type: a.type, sender: userId, content: a.content }));
    const counts = joined ? unread.get(roomId) : undefined;
    return {
      accountData: accountDataEvents,
      ephemeral: ephemeral.filter((x) => matchesFilter(ephemeralFilter, { type: x.type, sender: userId, content: x.content })),
      counts,
    };
  }, snapshot);

  const response: SyncResponse = { next_batch: formatSyncToken(upto) };
  let news = false;
  const roomsOut: Partial<RoomSections> = {};
  for (const k of ['join', 'invite', 'knock', 'leave'] as const) {
    if (Object.keys(rooms[k]).length) {
      (roomsOut as Record<string, unknown>)[k] = rooms[k];
      news = true;
    }
  }
  if (Object.keys(roomsOut).length) response.rooms = roomsOut;

  // A user who never changed a push rule still has the default ruleset (spec: m.push_rules).
  if (afterM === 0 && !accountData.some((a) => a.roomId === '' && a.type === 'm.push_rules')) {
    accountData.push({ roomId: '', type: 'm.push_rules', content: defaultPushRulesContent(userId) as unknown as JsonObject });
  }
  const globalData = accountData.filter((a) => a.roomId === '' && matchesFilter(base.filter.account_data, { type: a.type, sender: userId, content: a.content }));
  if (globalData.length) {
    response.account_data = { events: globalData.map((a) => ({ type: a.type, content: a.content })) };
    news = true;
  }

  const mates = miscMoved ? await roomMates(db, userId) : [];
  const now = Date.now();
  const presence = (miscMoved ? await presenceSince(db, [...new Set([...mates, userId])], afterM, upto.m) : [])
    .map((p) => ({ type: 'm.presence', sender: p.userId, content: presenceContent(p.state, p.lastActiveTs, p.statusMsg, now) as unknown as JsonObject }))
    .filter((p) => matchesFilter(base.filter.presence, p));
  if (presence.length) {
    response.presence = { events: presence };
    news = true;
  }

  if (toDevice.length) {
    response.to_device = { events: toDevice.map((t) => ({ sender: t.sender, type: t.type, content: t.content })) };
    news = true;
  }

  // Device lists change with the misc stream (device changes) and with memberships (who shares a room).
  const membershipMoved =
    !since ||
    base.fullState ||
    rows.some((r) => r.streamPos > since.e) ||
    Object.values(rooms.join).some((r) => [...r.timeline.events, ...(r.state ?? r.state_after)!.events].some((e) => e.type === 'm.room.member'));
  if (ext.deviceLists && (miscMoved || membershipMoved)) {
    const lists = await ext.deviceLists(ctx);
    if (lists.changed.length || lists.left.length) {
      response.device_lists = { changed: lists.changed, left: lists.left };
      news = true;
    }
  }
  const { keyCounts } = ext;
  if (keyCounts) {
    const counts = await base.waiters.keyCounts.get(deviceId, () => keyCounts(ctx));
    response.device_one_time_keys_count = counts.otk;
    response.device_unused_fallback_key_types = counts.fallback;
  }
  return { response, news, heads: { e, m } };
}
