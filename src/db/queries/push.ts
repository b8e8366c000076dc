// Queries over push rules, pushers and push actions (src/db/schema/push.ts).
import { and, eq, inArray, ne, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { accountData, eventPushActions, pushRuleChanges, pushRules, pushers, receipts } from '../schema';
import type { PushAction } from '../../matrix/push-rules/types';

// ---- Push rules -----------------------------------------------------------------------------

export type PushRuleRow = typeof pushRules.$inferSelect;
export type PushRuleChangeRow = typeof pushRuleChanges.$inferSelect;

/** The own rules (in priority order) and predefined-rule changes of some users. */
export async function pushRulesOf(db: Db, userIds: string[]): Promise<{ rules: PushRuleRow[]; changes: PushRuleChangeRow[] }> {
  if (userIds.length === 0) return { rules: [], changes: [] };
  const [rules, changes] = await Promise.all([
    db.select().from(pushRules).where(inArray(pushRules.userId, userIds)).orderBy(pushRules.userId, pushRules.kind, pushRules.position),
    db.select().from(pushRuleChanges).where(inArray(pushRuleChanges.userId, userIds)),
  ]);
  return { rules, changes };
}

export async function upsertPushRule(db: Db, row: PushRuleRow): Promise<void> {
  const { userId, kind, ruleId, ...rest } = row;
  await db
    .insert(pushRules)
    .values(row)
    .onConflictDoUpdate({ target: [pushRules.userId, pushRules.kind, pushRules.ruleId], set: rest });
}

/** Sets the positions of a user's rules of one kind. */
export async function setPushRulePositions(db: Db, userId: string, kind: string, positions: [ruleId: string, position: number][]): Promise<void> {
  if (positions.length === 0) return;
  await db.execute(sql`
    update ${pushRules} set position = p.position
    from jsonb_to_recordset(${JSON.stringify(positions.map(([ruleId, position]) => ({ rule_id: ruleId, position })))}::jsonb) as p(rule_id text, position int)
    where push_rules.user_id = ${userId} and push_rules.kind = ${kind} and push_rules.rule_id = p.rule_id`);
}

export async function deletePushRule(db: Db, userId: string, kind: string, ruleId: string): Promise<void> {
  await db.delete(pushRules).where(and(eq(pushRules.userId, userId), eq(pushRules.kind, kind), eq(pushRules.ruleId, ruleId)));
}

export async function updatePushRule(db: Db, userId: string, kind: string, ruleId: string, set: { enabled?: boolean; actions?: PushAction[] }): Promise<void> {
  await db.update(pushRules).set(set).where(and(eq(pushRules.userId, userId), eq(pushRules.kind, kind), eq(pushRules.ruleId, ruleId)));
}

/** Records a change to a predefined rule's enabled state or actions, keeping the other. */
export async function changePredefinedRule(db: Db, userId: string, kind: string, ruleId: string, set: { enabled?: boolean; actions?: PushAction[] }): Promise<void> {
  await db
    .insert(pushRuleChanges)
    .values({ userId, kind, ruleId, ...set })
    .onConflictDoUpdate({ target: [pushRuleChanges.userId, pushRuleChanges.kind, pushRuleChanges.ruleId], set });
}

/**
 * Which users' push rules or ignore lists changed: the positions of their `m.push_rules` and
 * `m.ignored_user_list` account data (every push rule change rewrites m.push_rules). Users without
 * either are absent.
 */
export async function pushStateVersions(db: Db, userIds: string[]): Promise<Map<string, { rules: number; ignored: number }>> {
  const out = new Map<string, { rules: number; ignored: number }>();
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: accountData.userId, type: accountData.type, pos: accountData.streamPos })
    .from(accountData)
    .where(and(inArray(accountData.userId, userIds), eq(accountData.roomId, ''), inArray(accountData.type, ['m.push_rules', 'm.ignored_user_list'])));
  for (const r of rows) {
    const v = out.get(r.userId) ?? { rules: 0, ignored: 0 };
    if (r.type === 'm.push_rules') v.rules = r.pos;
    else v.ignored = r.pos;
    out.set(r.userId, v);
  }
  return out;
}

/** The users each of `userIds` ignores (m.ignored_user_list). */
export async function ignoredUsersOf(db: Db, userIds: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: accountData.userId, content: accountData.content })
    .from(accountData)
    .where(and(inArray(accountData.userId, userIds), eq(accountData.roomId, ''), eq(accountData.type, 'm.ignored_user_list')));
  for (const r of rows) {
    const ignored = r.content.ignored_users;
    out.set(r.userId, new Set(typeof ignored === 'object' && ignored !== null && !Array.isArray(ignored) ? Object.keys(ignored) : []));
  }
  return out;
}

// ---- Pushers --------------------------------------------------------------------------------

export type PusherRow = typeof pushers.$inferSelect;

export async function listPushers(db: Db, userId: string): Promise<PusherRow[]> {
  return db.select().from(pushers).where(eq(pushers.userId, userId)).orderBy(pushers.createdTs, pushers.appId, pushers.pushkey);
}

/** Creates or updates a pusher; an update keeps the pusher's device and creation time (as Synapse does). */
export async function upsertPusher(db: Db, row: PusherRow): Promise<void> {
  const { userId, appId, pushkey, deviceId, createdTs, ...rest } = row;
  await db
    .insert(pushers)
    .values(row)
    .onConflictDoUpdate({ target: [pushers.userId, pushers.appId, pushers.pushkey], set: rest });
}

export async function deletePusher(db: Db, userId: string, appId: string, pushkey: string): Promise<void> {
  await db.delete(pushers).where(and(eq(pushers.userId, userId), eq(pushers.appId, appId), eq(pushers.pushkey, pushkey)));
}

/** Without `append`, a pushkey belongs to one user: other users' pushers with it go. */
export async function deletePushersOfOtherUsers(db: Db, appId: string, pushkey: string, userId: string): Promise<void> {
  await db.delete(pushers).where(and(eq(pushers.appId, appId), eq(pushers.pushkey, pushkey), ne(pushers.userId, userId)));
}

/** Deleting devices (logout, device deletion, deactivation) removes the pushers they set. */
export async function deletePushersOfDevices(db: Db, userId: string, deviceIds: string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await db.delete(pushers).where(and(eq(pushers.userId, userId), inArray(pushers.deviceId, deviceIds)));
}

export async function deleteAllPushers(db: Db, userId: string): Promise<void> {
  await db.delete(pushers).where(eq(pushers.userId, userId));
}

// ---- Push actions ---------------------------------------------------------------------------

export type PushActionRow = typeof eventPushActions.$inferSelect;
/** A push action row before its event has a stream position (it is inserted with the event's). */
export type PendingPushAction = Omit<PushActionRow, 'streamPos'>;

/** A redacted event no longer notifies anyone (as in Synapse). */
export async function deletePushActionsForEvents(db: Db, eventIds: string[], roomId?: string): Promise<void> {
  if (eventIds.length === 0) return;
  // A redaction only reaches events of its own room.
  const inRoom = roomId === undefined ? undefined : eq(eventPushActions.roomId, roomId);
  await db.delete(eventPushActions).where(inRoom ? and(inArray(eventPushActions.eventId, eventIds), inRoom) : inArray(eventPushActions.eventId, eventIds));
}

export interface NotificationCounts {
  notification_count: number;
  highlight_count: number;
}

/** What /sync shows of a joined room's counts. */
export interface RoomUnreadCounts {
  unread_notifications: NotificationCounts;
  /** Per thread root, threads with unread notifications only; present for thread-aware requests. */
  unread_thread_notifications?: Record<string, NotificationCounts>;
}

export interface CountRow {
  room_id: string;
  thread_id: string | null;
  n: string | number;
  h: string | number;
}

function shapeCounts(rows: CountRow[], threaded: boolean): RoomUnreadCounts {
  const out: RoomUnreadCounts = { unread_notifications: { notification_count: 0, highlight_count: 0 } };
  if (threaded) out.unread_thread_notifications = {};
  for (const r of rows) {
    const n = Number(r.n);
    const h = Number(r.h);
    if (r.thread_id !== null && threaded) {
      out.unread_thread_notifications![r.thread_id] = { notification_count: n, highlight_count: h };
    } else {
      out.unread_notifications.notification_count += n;
      out.unread_notifications.highlight_count += h;
    }
  }
  return out;
}

/**
 * Unread counts of one room for a user, from read positions the caller knows. `afterStreamPos`
 * (the unthreaded receipt's event position, 0 without one) applies to the main timeline and every
 * thread; `threadAfter` holds threaded receipts' event positions by thread ('main' for the main
 * timeline), each counting only where it is ahead. With `threadAfter`, the counts are split into the
 * main timeline and `unread_thread_notifications` (thread-aware clients); without it, every
 * notification counts in `unread_notifications`.
 */
export async function unreadCounts(db: Db, userId: string, roomId: string, afterStreamPos: number, threadAfter?: Map<string, number>): Promise<RoomUnreadCounts> {
  const positions = JSON.stringify([...(threadAfter ?? [])].map(([k, pos]) => ({ k, pos })));
  const r = (await db.execute(sql`
    select epa.room_id, epa.thread_id, count(*) filter (where epa.notify) as n, count(*) filter (where epa.highlight) as h
    from ${eventPushActions} epa
    left join jsonb_to_recordset(${positions}::jsonb) as t(k text, pos bigint) on t.k = coalesce(epa.thread_id, 'main')
    where epa.user_id = ${userId} and epa.room_id = ${roomId}
      and epa.stream_pos > greatest(${afterStreamPos}::bigint, coalesce(t.pos, 0))
    group by epa.room_id, epa.thread_id`)) as unknown as { rows: CountRow[] };
  return shapeCounts(r.rows, threadAfter !== undefined);
}

/**
 * Unread counts of several rooms in one query, after the user's read receipts (m.read and
 * m.read.private, whichever is ahead; unthreaded receipts apply to every thread, threaded ones to
 * their thread). Rooms without notifications get zero counts.
 */
export async function unreadCountsForRooms(db: Db, userId: string, roomIds: string[], threaded: boolean): Promise<Map<string, RoomUnreadCounts>> {
  const out = new Map<string, RoomUnreadCounts>(roomIds.map((id) => [id, shapeCounts([], threaded)]));
  if (roomIds.length === 0) return out;
  const r = (await db.execute(sql`
    with read as (
      select room_id, thread_id, max(event_pos) as pos from ${receipts}
      where user_id = ${userId} and room_id = any(${sql.param(roomIds)}::text[]) and receipt_type in ('m.read', 'm.read.private')
      group by room_id, thread_id
    )
    select epa.room_id, epa.thread_id, count(*) filter (where epa.notify) as n, count(*) filter (where epa.highlight) as h
    from ${eventPushActions} epa
    left join read u on u.room_id = epa.room_id and u.thread_id = ''
    left join read t on t.room_id = epa.room_id and t.thread_id = coalesce(epa.thread_id, 'main')
    where epa.user_id = ${userId} and epa.room_id = any(${sql.param(roomIds)}::text[])
      and epa.stream_pos > greatest(coalesce(u.pos, 0), coalesce(t.pos, 0))
    group by epa.room_id, epa.thread_id`)) as unknown as { rows: CountRow[] };
  const byRoom = new Map<string, CountRow[]>();
  for (const row of r.rows) byRoom.set(row.room_id, [...(byRoom.get(row.room_id) ?? []), row]);
  for (const [roomId, rows] of byRoom) out.set(roomId, shapeCounts(rows, threaded));
  return out;
}

export interface NotificationRow {
  roomId: string;
  eventId: string;
  streamPos: number;
  actions: PushAction[];
  ts: number;
  read: boolean;
}

/** GET /notifications: the user's notifications, newest first, before a position. */
export async function notificationsPage(db: Db, userId: string, opts: { before?: number; limit: number; onlyHighlight: boolean }): Promise<NotificationRow[]> {
  const r = (await db.execute(sql`
    select epa.room_id, epa.event_id, epa.stream_pos, epa.actions, epa.ts,
      -- Read when an m.read or m.read.private receipt, unthreaded or of the event's thread, is at or after it.
      exists (
        select 1 from ${receipts} r
        where r.room_id = epa.room_id and r.user_id = epa.user_id
          and r.receipt_type in ('m.read', 'm.read.private') and r.event_pos >= epa.stream_pos
          and (r.thread_id = '' or r.thread_id = coalesce(epa.thread_id, 'main'))
      ) as read
    from ${eventPushActions} epa
    where epa.user_id = ${userId} and epa.notify
      ${opts.onlyHighlight ? sql`and epa.highlight` : sql``}
      ${opts.before !== undefined ? sql`and epa.stream_pos < ${opts.before}` : sql``}
    order by epa.stream_pos desc
    limit ${opts.limit}`)) as unknown as {
    rows: { room_id: string; event_id: string; stream_pos: string | number; actions: PushAction[] | string; ts: string | number; read: boolean }[];
  };
  return r.rows.map((row) => ({
    roomId: row.room_id,
    eventId: row.event_id,
    streamPos: Number(row.stream_pos),
    actions: typeof row.actions === 'string' ? (JSON.parse(row.actions) as PushAction[]) : row.actions,
    ts: Number(row.ts),
    read: row.read,
  }));
}

/**
 * The rows unreadCountsForRooms counts from, for the rooms `roomIds` (an SQL list expression):
 * room_id, thread_id, n, h. For statements that read them along with other things (sync's snapshot).
 */
export function unreadCountRowsSql(userId: string | Placeholder, roomIds: SQL): SQL {
  return sql`
    with read as (
      select room_id, thread_id, max(event_pos) as pos from ${receipts}
      where user_id = ${userId} and room_id in (${roomIds}) and receipt_type in ('m.read', 'm.read.private')
      group by room_id, thread_id
    )
    select epa.room_id, epa.thread_id, count(*) filter (where epa.notify) as n, count(*) filter (where epa.highlight) as h
    from ${eventPushActions} epa
    left join read u on u.room_id = epa.room_id and u.thread_id = ''
    left join read t on t.room_id = epa.room_id and t.thread_id = coalesce(epa.thread_id, 'main')
    where epa.user_id = ${userId} and epa.room_id in (${roomIds})
      and epa.stream_pos > greatest(coalesce(u.pos, 0), coalesce(t.pos, 0))
    group by epa.room_id, epa.thread_id`;
}

/** Rows of unreadCountRowsSql shaped per room, as unreadCountsForRooms returns them. */
export function shapeUnreadCounts(rows: CountRow[], roomIds: string[], threaded: boolean): Map<string, RoomUnreadCounts> {
  const out = new Map<string, RoomUnreadCounts>(roomIds.map((id) => [id, shapeCounts([], threaded)]));
  const byRoom = new Map<string, CountRow[]>();
  for (const row of rows) byRoom.set(row.room_id, [...(byRoom.get(row.room_id) ?? []), row]);
  for (const [roomId, list] of byRoom) if (out.has(roomId)) out.set(roomId, shapeCounts(list, threaded));
  return out;
}
