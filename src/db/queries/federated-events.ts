// Persisting events that come from other servers: outliers (auth chains, fetched state), and
// events that join the room graph with their own state before them — possibly a fork whose
// resolution changes the current state. One transaction each (invariant 7).
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, PooledDb } from '../client';
import { eventEdges, events, forwardExtremities, redactions, roomMemberships, roomState, rooms, stateGroupEntries, stateGroups } from '../schema';
import { assignStreamPositions, forgetMemberships, MAX_CHAIN_LENGTH } from './rooms';
import { deletePushActionsForEvents, type PendingPushAction } from './push';
import type { RoomEvent } from '../../matrix/types';
import { executeTogether } from '../bulk-insert';
import { searchIndexStatements } from './search';

type Tx = Parameters<Parameters<PooledDb['transaction']>[0]>[0];

function split(key: string): [string, string] {
  const colon = key.indexOf(':');
  const n = Number(key.slice(0, colon));
  return [key.slice(colon + 1, colon + 1 + n), key.slice(colon + 1 + n)];
}

function prevIds(e: RoomEvent): string[] {
  return (e.pdu.prev_events as unknown[]).map((p) => (Array.isArray(p) ? (p[0] as string) : (p as string)));
}

/** Events known only as auth or state of others: no place in the timeline. Existing ones are kept. */
export async function storeOutliers(db: PooledDb, roomId: string, list: { event: RoomEvent; rejected?: string }[]): Promise<void> {
  if (list.length === 0) return;
  await db
    .insert(events)
    .values(
      list.map(({ event, rejected }) => ({
        eventId: event.eventId,
        roomId,
        streamPos: null,
        depth: event.pdu.depth,
        type: event.pdu.type,
        stateKey: event.pdu.state_key ?? null,
        sender: event.pdu.sender,
        originServerTs: event.pdu.origin_server_ts,
        json: JSON.stringify(event.pdu),
        outlier: true,
        rejected: rejected ?? null,
      })),
    )
    .onConflictDoNothing();
}

/** A new state group holding `state`: a delta over `base` when there is one and the chain allows. */
async function newGroup(tx: Tx, roomId: string, state: Map<string, string>, base?: { id: number; state: Map<string, string>; chainLength: number }): Promise<{ id: number; chainLength: number }> {
  const r = (await tx.execute(sql`select nextval('state_groups_id_seq')::bigint as id`)) as unknown as { rows: { id: string }[] };
  const id = Number(r.rows[0].id);
  const rows: (typeof stateGroupEntries.$inferInsert)[] = [];
  let chainLength = 0;
  if (base && base.chainLength < MAX_CHAIN_LENGTH) {
    chainLength = base.chainLength + 1;
    for (const [k, v] of state) if (base.state.get(k) !== v) rows.push({ groupId: id, type: split(k)[0], stateKey: split(k)[1], eventId: v });
    for (const k of base.state.keys()) if (!state.has(k)) rows.push({ groupId: id, type: split(k)[0], stateKey: split(k)[1], eventId: null });
  } else {
    for (const [k, v] of state) rows.push({ groupId: id, type: split(k)[0], stateKey: split(k)[1], eventId: v });
  }
  await tx.insert(stateGroups).values({ id, roomId, prevGroup: base && chainLength > 0 ? base.id : null, chainLength });
  for (let i = 0; i < rows.length; i += 2000) await tx.insert(stateGroupEntries).values(rows.slice(i, i + 2000));
  return { id, chainLength };
}

export interface FederatedEventInput {
  roomId: string;
  event: RoomEvent;
  /** Auth failure reason: stored, never served as state or timeline. */
  rejected?: string;
  /** Passed the state before it but not the current state: stored, kept out of the timeline. */
  softFailed?: boolean;
  /** The state before the event, with its group when it has one. */
  stateBefore: Map<string, string>;
  stateBeforeGroup?: { id: number; chainLength: number };
  /** For accepted events: the room's current state afterwards, and the one before (to diff). */
  current?: { before: Map<string, string>; after: Map<string, string>; afterIsEventState: boolean };
  extremities?: string[];
  /** Member events whose current membership changed, with whether the user is ours. */
  memberChanges?: { userId: string; membership: string; eventId: string; sender: string; local: boolean }[];
  redacts?: string;
  relatesTo?: string;
  relType?: string;
  replacesState?: string;
  /** For an accepted event: its notification rows (written with its position), earlier events it redacts (their rows go), its leave stored as forgotten. */
  push?: { pushActions: PendingPushAction[]; unnotify: string[]; forgotten: string[] };
  /** The room's current state group before the event: the room row is written only when it changes. */
  currentGroupWas?: number | null;
}

export async function persistFederatedEvent(
  db: PooledDb,
  input: FederatedEventInput,
): Promise<{ streamPos: number | null; stateGroup: number; current?: { id: number; chainLength: number } }> {
  const { roomId, event } = input;
  const { pdu } = event;
  const accepted = !input.rejected && !input.softFailed;
  return db.transaction(async (tx) => {
    const isState = typeof pdu.state_key === 'string' && !input.rejected;
    const stateAfter = new Map(input.stateBefore);
    if (isState) stateAfter.set(`${pdu.type.length}:${pdu.type}${pdu.state_key}`, event.eventId);
    const base = input.stateBeforeGroup ? { ...input.stateBeforeGroup, state: input.stateBefore } : undefined;
    let group = input.stateBeforeGroup;
    if (isState || !group) group = await newGroup(tx, roomId, stateAfter, base);

    await tx.insert(eventEdges).values(prevIds(event).map((p) => ({ eventId: event.eventId, prevEventId: p, roomId }))).onConflictDoNothing();
    if (input.redacts && accepted) {
      await tx.insert(redactions).values({ eventId: event.eventId, redacts: input.redacts, roomId }).onConflictDoNothing();
      await tx.update(events).set({ redactedBy: event.eventId }).where(and(eq(events.eventId, input.redacts), eq(events.roomId, roomId), sql`${events.redactedBy} is null`));
    }

    let currentGroup: { id: number; chainLength: number } | undefined;
    if (accepted && input.current) {
      const { before, after } = input.current;
      currentGroup = input.current.afterIsEventState ? group : await newGroup(tx, roomId, after);
      const changed = [...after].filter(([k, v]) => before.get(k) !== v);
      const removed = [...before.keys()].filter((k) => !after.has(k));
      if (changed.length) {
        await tx
          .insert(roomState)
          .values(changed.map(([k, v]) => ({ roomId, type: split(k)[0], stateKey: split(k)[1], eventId: v })))
          .onConflictDoUpdate({ target: [roomState.roomId, roomState.type, roomState.stateKey], set: { eventId: sql`excluded.event_id` } });
      }
      for (const k of removed) await tx.delete(roomState).where(and(eq(roomState.roomId, roomId), eq(roomState.type, split(k)[0]), eq(roomState.stateKey, split(k)[1])));
      if (input.extremities) {
        // One statement: the rows it deletes and the ones it inserts are never the same.
        await tx.execute(sql`
          with d as (delete from ${forwardExtremities} where room_id = ${roomId} and not (event_id = any(${sql.param(input.extremities)}::text[])))
          insert into ${forwardExtremities} (room_id, event_id) select ${roomId}, unnest(${sql.param(input.extremities)}::text[]) on conflict do nothing`);
      }
    }

    await tx
      .insert(events)
      .values({
        eventId: event.eventId,
        roomId,
        streamPos: null,
        depth: pdu.depth,
        type: pdu.type,
        stateKey: pdu.state_key ?? null,
        sender: pdu.sender,
        originServerTs: pdu.origin_server_ts,
        json: JSON.stringify(pdu),
        stateGroup: group.id,
        outlier: false,
        rejected: input.rejected ?? null,
        softFailed: input.softFailed ?? false,
        relatesTo: input.relatesTo ?? null,
        relType: input.relType ?? null,
        replacesState: input.replacesState ?? null,
      })
      .onConflictDoUpdate({
        // An event first stored as an outlier joins the graph now.
        target: events.eventId,
        set: { stateGroup: group.id, outlier: false, rejected: input.rejected ?? null, softFailed: input.softFailed ?? false },
      });
    if (accepted && input.memberChanges?.length) {
      await tx
        .insert(roomMemberships)
        .values(input.memberChanges.map((m) => ({ roomId, userId: m.userId, membership: m.membership, eventId: m.eventId, sender: m.sender, streamPos: 0, local: m.local, forgotten: false })))
        .onConflictDoUpdate({
          target: [roomMemberships.roomId, roomMemberships.userId],
          set: { membership: sql`excluded.membership`, eventId: sql`excluded.event_id`, sender: sql`excluded.sender`, streamPos: sql`excluded.stream_pos`, forgotten: false },
        });
    }
    if (accepted && input.push) {
      await deletePushActionsForEvents(tx, input.push.unnotify, roomId);
      await forgetMemberships(tx, roomId, input.push.forgotten);
    }
    // Searchable like a local event (the index is written with the events, see search.ts).
    if (accepted) await executeTogether(tx, searchIndexStatements(roomId, [{ event, redacts: input.redacts }]));
    if (currentGroup && currentGroup.id !== input.currentGroupWas) await tx.update(rooms).set({ currentStateGroup: currentGroup.id, currentChainLength: currentGroup.chainLength }).where(eq(rooms.roomId, roomId));
    // Last: the position, with the stream lock held only for this statement and the commit.
    // Member changes that a resolution brought in carry the new event's position too.
    let streamPos: number | null = null;
    if (accepted) {
      [streamPos] = await assignStreamPositions(tx, roomId, [event.eventId], { pushActions: input.push?.pushActions });
      if (input.memberChanges?.length) {
        await tx.update(roomMemberships).set({ streamPos }).where(and(eq(roomMemberships.roomId, roomId), inArray(roomMemberships.eventId, input.memberChanges.map((m) => m.eventId))));
      }
    }
    return { streamPos, stateGroup: group.id, current: currentGroup };
  });
}

/** Which of these event ids are stored (in any form). */
export async function knownEventIds(db: PooledDb, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select({ id: events.eventId }).from(events).where(inArray(events.eventId, ids));
  return new Set(rows.map((r) => r.id));
}

/** Every event reachable through auth_events from the given ones (the ids themselves excluded). */
export async function authChainIds(db: PooledDb, ids: string[]): Promise<string[]> {
  const seen = new Set<string>(ids);
  const chain: string[] = [];
  let frontier = ids;
  while (frontier.length) {
    const rows = await db.select({ json: events.json }).from(events).where(inArray(events.eventId, frontier));
    const next: string[] = [];
    for (const r of rows) {
      const pdu = JSON.parse(r.json) as { auth_events?: unknown[] };
      for (const a of pdu.auth_events ?? []) {
        const id = Array.isArray(a) ? (a[0] as string) : (a as string);
        if (!seen.has(id)) {
          seen.add(id);
          chain.push(id);
          next.push(id);
        }
      }
    }
    frontier = next;
  }
  return chain;
}

/** The PDUs of events as stored (for serving them to other servers). */
export async function pdusOf(db: PooledDb, ids: string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.select({ json: events.json }).from(events).where(inArray(events.eventId, ids.slice(i, i + 500)));
    for (const r of rows) out.push(JSON.parse(r.json));
  }
  return out;
}

/**
 * Events before the given ones by prev_events, breadth first by depth, newest first (spec:
 * backfill), or between `earliest` and `latest` (get_missing_events): a walk backwards from
 * `from` that stops at `stopAt`.
 */
export async function walkBack(db: PooledDb, roomId: string, from: string[], limit: number, stopAt: Set<string> = new Set(), minDepth = 0): Promise<{ eventId: string; depth: number; json: string }[]> {
  const out: { eventId: string; depth: number; json: string }[] = [];
  const seen = new Set<string>(from);
  let frontier = from;
  while (frontier.length && out.length < limit) {
    const edges = await db.select({ prev: eventEdges.prevEventId }).from(eventEdges).where(and(inArray(eventEdges.eventId, frontier), eq(eventEdges.roomId, roomId)));
    const ids = [...new Set(edges.map((e) => e.prev))].filter((id) => !seen.has(id) && !stopAt.has(id));
    if (ids.length === 0) break;
    for (const id of ids) seen.add(id);
    const rows = await db
      .select({ eventId: events.eventId, depth: events.depth, json: events.json, outlier: events.outlier })
      .from(events)
      .where(and(inArray(events.eventId, ids), eq(events.roomId, roomId)));
    const usable = rows.filter((r) => !r.outlier && r.depth >= minDepth).sort((a, b) => b.depth - a.depth);
    for (const r of usable) if (out.length < limit) out.push(r);
    frontier = usable.map((r) => r.eventId);
  }
  return out;
}

/**
 * An invite of one of our users to a room this server is not in: kept as an outlier with the
 * stripped state the inviting server sent, plus the membership row sync reads (with a stream
 * position, so the invite shows up once). Returns the position, or undefined if already known.
 */
export async function storeRemoteInvite(db: PooledDb, event: RoomEvent, versionId: string, strippedState: Record<string, unknown>[]): Promise<number | undefined> {
  return storeRemoteMembership(db, { eventId: event.eventId, pdu: { ...event.pdu, unsigned: { invite_room_state: strippedState, room_version: versionId } } });
}

/**
 * A membership of one of our users in a room this server is not in (an invite received, its
 * rejection): the event kept as an outlier, and the membership row sync reads, with a stream
 * position so that it shows up once. Returns the position, or undefined if already known.
 */
export async function storeRemoteMembership(db: PooledDb, event: RoomEvent): Promise<number | undefined> {
  const roomId = event.pdu.room_id!;
  const membership = String(event.pdu.content.membership);
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(events)
      .values({
        eventId: event.eventId,
        roomId,
        streamPos: null,
        depth: event.pdu.depth,
        type: event.pdu.type,
        stateKey: event.pdu.state_key ?? null,
        sender: event.pdu.sender,
        originServerTs: event.pdu.origin_server_ts,
        // An invite's stripped state travels in unsigned, as Synapse keeps it (unsigned is not signed).
        json: JSON.stringify(event.pdu),
        outlier: true,
      })
      .onConflictDoNothing()
      .returning({ id: events.eventId });
    if (inserted.length === 0) return undefined;
    await tx
      .insert(roomMemberships)
      .values({ roomId, userId: event.pdu.state_key!, membership, eventId: event.eventId, sender: event.pdu.sender, streamPos: 0, local: true, forgotten: false })
      .onConflictDoUpdate({
        target: [roomMemberships.roomId, roomMemberships.userId],
        set: { membership, eventId: event.eventId, sender: event.pdu.sender, streamPos: 0, forgotten: false },
      });
    const [pos] = await assignStreamPositions(tx, roomId, [event.eventId], { members: [event.pdu.state_key!] });
    // The event itself stays out of every timeline: only the membership row carries the position.
    await tx.update(events).set({ streamPos: null }).where(eq(events.eventId, event.eventId));
    return pos;
  });
}

/** The version of a room this server knows, or undefined. */
export async function roomVersionIdOf(db: Db, roomId: string): Promise<string | undefined> {
  const [row] = await db.select({ version: rooms.version }).from(rooms).where(eq(rooms.roomId, roomId));
  return row?.version;
}
