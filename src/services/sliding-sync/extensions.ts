// The extensions of simplified sliding sync, as Synapse serves them: to-device messages
// (MSC3885), end-to-end encryption (MSC3884), account data (MSC3959), receipts (MSC3960) and
// typing (MSC3961). The per-room ones cover the rooms of the lists and subscriptions their
// `lists` and `rooms` name. Each reads the same streams /sync reads.
import type { PooledDb } from '../../db/client';
import { deviceKeyCounts } from '../../db/queries/key-management';
import { accountDataFor, initialReceipts, receiptsAfter, type ReceiptRow } from '../../db/queries/sliding-sync';
import { ackAndReadToDevice } from '../../db/queries/sync';
import type { JsonObject } from '../../matrix/types';
import { deviceListChanges } from '../e2ee/device-lists';
import { defaultPushRulesContent } from '../push/rules';
import type { SyncWaiters } from '../sync/waiters';
import type { Marks, RoomState } from './connection';
import { advance, sentUpTo } from './marks';
import type { Extensions, Scope } from './request';
import type { RoomResult } from './room-data';
import type { Pos } from './token';

type Ephemeral = { type: string; content: JsonObject };

export interface ExtensionsResponse {
  to_device?: { next_batch: string; events: JsonObject[] };
  e2ee?: {
    device_one_time_keys_count: Record<string, number>;
    device_unused_fallback_key_types: string[];
    device_lists?: { changed: string[]; left: string[] };
  };
  account_data?: { global: Ephemeral[]; rooms: Record<string, Ephemeral[]> };
  receipts?: { rooms: Record<string, Ephemeral> };
  typing?: { rooms: Record<string, Ephemeral> };
}

export interface ExtensionsContext {
  db: PooledDb;
  userId: string;
  deviceId: string;
  to: { e: number; m: number; t: number };
  from?: Pos;
  waiters: SyncWaiters;
  /** The rooms in each list's ranges. */
  lists: Record<string, { roomIds: string[] }>;
  /** Every room of the lists' ranges and the subscriptions. */
  relevant: ReadonlySet<string>;
  /** The room results of this response. */
  rooms: ReadonlyMap<string, RoomResult>;
  /** What the connection had of each room before this response, and after it (updated here). */
  sent: ReadonlyMap<string, RoomState>;
  states: Map<string, RoomState>;
  /** The connection's marks before this response, and after it (updated here). */
  marks: Readonly<Marks>;
  nextMarks: Marks;
}

/** The rooms an extension's scoping names: `*` is every list, or every room of the response's lists and subscriptions. */
function scoped(ctx: ExtensionsContext, scope: Scope): string[] {
  const out = new Set<string>();
  for (const r of scope.rooms) {
    if (r === '*') {
      for (const id of ctx.relevant) out.add(id);
      break;
    }
    if (ctx.relevant.has(r)) out.add(r);
  }
  for (const name of scope.lists) {
    const lists = name === '*' ? Object.values(ctx.lists) : ctx.lists[name] ? [ctx.lists[name]] : [];
    for (const l of lists) for (const id of l.roomIds) out.add(id);
  }
  return [...out];
}

/** The connection's state of a room as this response leaves it. */
function stateOf(ctx: ExtensionsContext, roomId: string): RoomState {
  let s = ctx.states.get(roomId);
  if (!s) ctx.states.set(roomId, (s = { ...ctx.sent.get(roomId) }));
  return s;
}

export async function buildExtensions(ctx: ExtensionsContext, request: Extensions): Promise<{ body: ExtensionsResponse; news: boolean }> {
  const body: ExtensionsResponse = {};
  let news = false;
  if (request.toDevice) {
    body.to_device = await toDevice(ctx, request.toDevice);
    news ||= body.to_device.events.length > 0;
  }
  if (request.e2ee) {
    body.e2ee = await e2ee(ctx);
    news ||= !!body.e2ee.device_lists && (body.e2ee.device_lists.changed.length > 0 || body.e2ee.device_lists.left.length > 0);
  }
  if (request.accountData) {
    body.account_data = await accountData(ctx, request.accountData);
    news ||= body.account_data.global.length > 0 || Object.keys(body.account_data.rooms).length > 0;
  }
  if (request.receipts) {
    body.receipts = await receipts(ctx, request.receipts);
    news ||= Object.keys(body.receipts.rooms).length > 0;
  }
  if (request.typing) {
    body.typing = typing(ctx, request.typing);
    news ||= Object.keys(body.typing.rooms).length > 0;
  }
  return { body, news };
}

/**
 * The extensions of a response when nothing concerning the user moved since `pos`: what
 * buildExtensions would answer then, read without the streams. The key counts are read all the
 * same (others' claims move no stream of the user's).
 */
export async function quietExtensions(db: PooledDb, userId: string, deviceId: string, request: Extensions): Promise<ExtensionsResponse> {
  const body: ExtensionsResponse = {};
  if (request.toDevice) body.to_device = { next_batch: String(request.toDevice.since ?? 0), events: [] };
  if (request.e2ee) {
    const counts = await deviceKeyCounts(db, userId, deviceId);
    body.e2ee = { device_one_time_keys_count: counts.otk, device_unused_fallback_key_types: counts.fallback, device_lists: { changed: [], left: [] } };
  }
  if (request.accountData) body.account_data = { global: [], rooms: {} };
  if (request.receipts) body.receipts = { rooms: {} };
  if (request.typing) body.typing = { rooms: {} };
  return body;
}

/** To-device messages after `since`, which acknowledges (deletes) those up to it. */
async function toDevice(ctx: ExtensionsContext, req: NonNullable<Extensions['toDevice']>): Promise<NonNullable<ExtensionsResponse['to_device']>> {
  const since = req.since ?? 0;
  // A token from the future (or a limit of 0) reads nothing, and the client keeps its token.
  if (since > ctx.to.m || req.limit === 0) return { next_batch: String(since), events: [] };
  const messages = await ackAndReadToDevice(ctx.db, ctx.userId, ctx.deviceId, since, ctx.to.m, req.limit);
  const next = messages.length === req.limit ? messages[messages.length - 1].streamPos : ctx.to.m;
  return { next_batch: String(next), events: messages.map((t) => ({ sender: t.sender, type: t.type, content: t.content })) };
}

/** Key counts always (clients read an absent count as unknown); device-list changes since `pos`. */
async function e2ee(ctx: ExtensionsContext): Promise<NonNullable<ExtensionsResponse['e2ee']>> {
  const counts = await deviceKeyCounts(ctx.db, ctx.userId, ctx.deviceId);
  const out: NonNullable<ExtensionsResponse['e2ee']> = { device_one_time_keys_count: counts.otk, device_unused_fallback_key_types: counts.fallback };
  if (ctx.from) out.device_lists = await deviceListChanges(ctx.db, ctx.userId, { e: ctx.from.e, m: ctx.from.m }, { e: ctx.to.e, m: ctx.to.m });
  return out;
}

/**
 * Global account data: all of it for a new connection (with the default push rules if the user
 * never changed one), else what changed since `pos`. Room account data: all of a room's the first
 * time the connection covers it, then what changed since the connection last looked. Nothing is
 * read when the misc stream has not moved past what the client has.
 */
async function accountData(ctx: ExtensionsContext, scope: Scope): Promise<NonNullable<ExtensionsResponse['account_data']>> {
  const { to, from } = ctx;
  const inScope = scoped(ctx, scope);
  const after = (roomId: string) => sentUpTo(ctx.sent.get(roomId), 'accountData', ctx.marks) ?? -1;
  const rooms = inScope.filter((r) => after(r) < to.m);
  const record = () => advance('accountData', new Set(inScope), to.m, ctx.sent, ctx.marks, ctx.nextMarks, (r) => stateOf(ctx, r));
  const out: NonNullable<ExtensionsResponse['account_data']> = { global: [], rooms: {} };
  const globalAfter = from ? from.m : 0;
  if (rooms.length === 0 && from && to.m <= from.m) {
    record();
    return out;
  }
  const rows = await accountDataFor(ctx.db, ctx.userId, globalAfter, to.m, rooms);
  out.global = rows.filter((r) => r.roomId === '').map((r) => ({ type: r.type, content: r.content as JsonObject }));
  if (!from && !out.global.some((g) => g.type === 'm.push_rules')) out.global.push({ type: 'm.push_rules', content: defaultPushRulesContent(ctx.userId) as unknown as JsonObject });
  for (const roomId of rooms) {
    const since = after(roomId);
    const entries = rows.filter((r) => r.roomId === roomId && r.streamPos > since);
    if (entries.length) out.rooms[roomId] = entries.map((r) => ({ type: r.type, content: r.content as JsonObject }));
  }
  record();
  return out;
}

/**
 * Receipts: for a room new to the client (or whose timeline was expanded), the user's own and those
 * on the timeline sent; otherwise those that changed since the connection last looked.
 */
async function receipts(ctx: ExtensionsContext, scope: Scope): Promise<NonNullable<ExtensionsResponse['receipts']>> {
  const fresh: string[] = [];
  const bounds: { roomId: string; after: number }[] = [];
  const inScope = scoped(ctx, scope);
  for (const roomId of inScope) {
    const result = ctx.rooms.get(roomId);
    const after = sentUpTo(ctx.sent.get(roomId), 'receipts', ctx.marks);
    if (after === undefined || result?.initial || result?.unstable_expanded_timeline) fresh.push(roomId);
    else if (after < ctx.to.m) bounds.push({ roomId, after });
  }
  const timelineIds = fresh.flatMap((r) => (ctx.rooms.get(r)?.timeline ?? []).map((e) => e.event_id as string));
  const rows = [...(await initialReceipts(ctx.db, fresh, timelineIds, ctx.to.m, ctx.userId)), ...(await receiptsAfter(ctx.db, bounds, ctx.to.m, ctx.userId))];
  const byRoom = new Map<string, ReceiptRow[]>();
  for (const r of rows) byRoom.set(r.roomId, [...(byRoom.get(r.roomId) ?? []), r]);
  const out: Record<string, Ephemeral> = {};
  for (const [roomId, list] of byRoom) {
    const content: Record<string, Record<string, Record<string, JsonObject>>> = {};
    for (const r of list) {
      const data: JsonObject = { ts: r.ts };
      if (r.threadId !== '') data.thread_id = r.threadId;
      ((content[r.eventId] ??= {})[r.receiptType] ??= {})[r.userId] = data;
    }
    out[roomId] = { type: 'm.receipt', content };
  }
  advance('receipts', new Set(inScope), ctx.to.m, ctx.sent, ctx.marks, ctx.nextMarks, (r) => stateOf(ctx, r));
  return { rooms: out };
}

/** Who is typing: where it changed since `pos`, and in rooms new to the client when anyone is. */
function typing(ctx: ExtensionsContext, scope: Scope): NonNullable<ExtensionsResponse['typing']> {
  const out: Record<string, Ephemeral> = {};
  for (const roomId of scoped(ctx, scope)) {
    const t = ctx.waiters.typing.get(roomId);
    if (!t) continue;
    const changed = ctx.from ? t.t > ctx.from.t : false;
    const fresh = !ctx.from || ctx.rooms.get(roomId)?.initial;
    if (changed || (fresh && t.userIds.length > 0)) out[roomId] = { type: 'm.typing', content: { user_ids: t.userIds } };
  }
  return { rooms: out };
}
