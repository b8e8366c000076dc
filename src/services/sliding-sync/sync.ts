// One simplified sliding sync response (MSC4186): lists and subscriptions over the user's rooms as
// of the stream heads read in one snapshot, the rooms that are new to the connection or changed
// since it last sent them, and the extensions. Pure with respect to the connection: what the
// response would record is returned, and recorded only when the response is sent.
import type { PooledDb } from '../../db/client';
import { membershipsWithHeads, ownReadReceiptRooms } from '../../db/queries/sliding-sync';
import type { SyncWaiters } from '../sync/waiters';
import type { RoomActivity } from './activity';
import type { ConnectionView, Marks, RoomState } from './connection';
import { buildExtensions, type ExtensionsResponse } from './extensions';
import { interestOf, type RoomInterest } from './lists';
import type { SlidingSyncRequest } from './request';
import type { UserSettings } from './settings';
import { combine, sameRequiredState } from './required-state';
import { buildRooms, type RoomResult, type RoomWork } from './room-data';
import type { Pos } from './token';

export interface ResponseBody {
  pos: string;
  txn_id?: string;
  lists: Record<string, { count: number }>;
  rooms: Record<string, RoomResult>;
  extensions: ExtensionsResponse;
}

export interface SyncInput {
  db: PooledDb;
  userId: string;
  deviceId: string;
  request: SlidingSyncRequest;
  /** The pos the request came with (undefined for a new connection). */
  from?: Pos;
  view: ConnectionView;
  waiters: SyncWaiters;
  activity: RoomActivity;
  settings: UserSettings;
}

export interface SyncOutcome {
  body: Omit<ResponseBody, 'pos'>;
  /** Whether the client has anything new (an empty response may long-poll). */
  news: boolean;
  /** Stream positions the response runs to. */
  to: { e: number; m: number; t: number };
  /** Rooms whose connection state this response changes. */
  changes: Map<string, RoomState>;
  /** The connection's marks after this response. */
  marks: Marks;
}

/** Whether a room must be looked at again: new, newly joined, changed, or asked for in more detail. */
function work(interest: RoomInterest, prev: RoomState | undefined, lastEvent: number | undefined, countsChanged: boolean, roomId: string): RoomWork | undefined {
  const { row, config, lists } = interest;
  const base = { roomId, row, config, lists, prev, countsChanged };
  if (prev?.upto === undefined) return { ...base, initial: true };
  if (row.membership === 'join' && prev.membership !== 'join') return { ...base, initial: true };
  const moved = row.membership !== prev.membership || row.streamPos > prev.upto || (row.membership === 'join' && (lastEvent ?? 0) > prev.upto);
  const prevConfig = prev.config;
  const grown =
    !prevConfig ||
    config.timelineLimit > prevConfig.timelineLimit ||
    (!sameRequiredState(prevConfig.requiredState, config.requiredState) && !sameRequiredState(combine(prevConfig.requiredState, config.requiredState), prevConfig.requiredState));
  if (moved || grown || countsChanged) return { ...base, initial: false };
  return undefined;
}

export async function computeResponse(input: SyncInput): Promise<SyncOutcome> {
  const { db, userId, deviceId, request, from, view, waiters } = input;
  const snapshot = await membershipsWithHeads(db, userId);
  const to = { e: snapshot.e, m: snapshot.m, t: waiters.typingSerial };
  const settings = await input.settings.get(db, userId, to.m);
  // Invite blocking (MSC4380): pending invites are not served while it lasts, as by /sync.
  const rows = snapshot.rows.filter((r) => !r.forgotten && !(settings.invitesBlocked && r.membership === 'invite'));
  const joined = rows.filter((r) => r.membership === 'join').map((r) => r.roomId);
  const activity = await input.activity.of(db, joined, to.e);
  const interest = await interestOf(db, userId, request, rows, activity, view.rooms, settings.dms);
  const countsMoved = from ? await ownReadReceiptRooms(db, userId, from.m, to.m) : new Set<string>();

  const works: RoomWork[] = [];
  for (const [roomId, i] of interest.rooms) {
    const w = work(i, view.rooms.get(roomId), activity.get(roomId)?.last, countsMoved.has(roomId), roomId);
    if (w) works.push(w);
  }
  const rooms = await buildRooms({ db, userId, deviceId, to, from, activity, dms: interest.dms }, works);
  const marks: Marks = { ...view.marks };
  const extensions = await buildExtensions(
    { db, userId, deviceId, to, from, waiters, lists: interest.lists, relevant: new Set(interest.rooms.keys()), rooms: rooms.results, sent: view.rooms, states: rooms.states, marks: view.marks, nextMarks: marks },
    request.extensions,
  );

  const body: SyncOutcome['body'] = { lists: {}, rooms: Object.fromEntries(rooms.results), extensions: extensions.body };
  for (const [name, l] of Object.entries(interest.lists)) body.lists[name] = { count: l.count };
  if (request.txnId !== undefined) body.txn_id = request.txnId;
  return { body, news: rooms.results.size > 0 || extensions.news, to, changes: rooms.states, marks };
}
