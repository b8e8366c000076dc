// Turning stored events into what clients receive (spec: "Room Event Format", "Redactions",
// "unsigned"): redacted content with redacted_because, age, the sender device's transaction_id,
// and replaces_state / prev_content for state events.
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { eventTxns } from '../../db/schema';
import { getEvents, type StoredEvent } from '../../db/queries/rooms';
import { computeBundles } from './aggregations';
import { toClientEvent } from '../../matrix/client-event';
import { redactEvent } from '../../matrix/redaction';
import type { RoomVersion } from '../../matrix/room-versions';
import type { ClientEvent, JsonObject, Pdu } from '../../matrix/types';

export interface Viewer {
  userId: string;
  deviceId?: string;
}

/**
 * Stored events as clients receive them. `bundle` adds the aggregations of their child events
 * (threads, edits, references) under unsigned.m.relations, as timelines and event lookups carry.
 */
export async function serveEvents(db: Db, version: RoomVersion, events: StoredEvent[], viewer?: Viewer, opts: { bundle?: boolean } = {}, now = Date.now()): Promise<ClientEvent[]> {
  if (events.length === 0) return [];
  const served = await serveOnly(db, version, events, viewer, now);
  if (!opts.bundle || !viewer) return served;
  const bundles = await computeBundles(db, events, viewer.userId);
  if (bundles.relations.size === 0) return served;
  const extra: StoredEvent[] = [];
  for (const l of bundles.latest.values()) for (const e of [l.thread, l.edit]) if (e) extra.push(e);
  const extraServed = new Map((await serveOnly(db, version, extra, viewer, now)).map((e) => [e.event_id, e]));
  return served.map((e) => {
    const relations = bundles.relations.get(e.event_id);
    if (!relations) return e;
    const latest = bundles.latest.get(e.event_id)!;
    const out: JsonObject = { ...relations };
    if (latest.thread && out['m.thread']) out['m.thread'] = { latest_event: extraServed.get(latest.thread.eventId), ...(out['m.thread'] as JsonObject) };
    if (latest.edit) out['m.replace'] = extraServed.get(latest.edit.eventId);
    return { ...e, unsigned: { ...e.unsigned, 'm.relations': out } };
  });
}

async function serveOnly(db: Db, version: RoomVersion, events: StoredEvent[], viewer: Viewer | undefined, now: number): Promise<ClientEvent[]> {
  if (events.length === 0) return [];
  const related = new Set<string>();
  for (const e of events) {
    if (e.redactedBy) related.add(e.redactedBy);
    if (e.replacesState) related.add(e.replacesState);
  }
  const others = await getEvents(db, [...related]);
  // The redactions of the replaced events too (rare: only redacted previous state needs them).
  const prevRedactions = events
    .map((e) => (e.replacesState ? others.get(e.replacesState)?.redactedBy : undefined))
    .filter((id): id is string => !!id && !others.has(id));
  if (prevRedactions.length) for (const [id, r] of await getEvents(db, prevRedactions)) others.set(id, r);
  /** The redaction that applies to an event: only one sent in the event's own room redacts it. */
  const redactionOf = (e: StoredEvent) => {
    const r = e.redactedBy ? others.get(e.redactedBy) : undefined;
    return r && r.roomId === e.roomId ? r : undefined;
  };

  const txnIds = new Map<string, string>();
  if (viewer?.deviceId) {
    const own = events.filter((e) => e.pdu.sender === viewer.userId).map((e) => e.eventId);
    if (own.length) {
      const rows = await db
        .select({ eventId: eventTxns.eventId, txnId: eventTxns.txnId })
        .from(eventTxns)
        .where(and(inArray(eventTxns.eventId, own), eq(eventTxns.userId, viewer.userId), eq(eventTxns.deviceId, viewer.deviceId)));
      for (const r of rows) txnIds.set(r.eventId, r.txnId);
    }
  }

  return events.map((e) => {
    const unsigned: JsonObject = { age: Math.max(0, now - e.pdu.origin_server_ts) };
    let pdu = e.pdu;
    const redaction = redactionOf(e);
    if (redaction) {
      pdu = redactEvent(pdu, version) as unknown as Pdu;
      unsigned.redacted_because = toClientEvent(redaction.pdu, redaction.eventId, version, { age: Math.max(0, now - redaction.pdu.origin_server_ts) });
    }
    const txnId = txnIds.get(e.eventId);
    if (txnId !== undefined) unsigned.transaction_id = txnId;
    if (e.replacesState) {
      unsigned.replaces_state = e.replacesState;
      const prev = others.get(e.replacesState);
      if (prev) {
        unsigned.prev_content = redactionOf(prev) ? (redactEvent(prev.pdu, version) as unknown as Pdu).content : prev.pdu.content;
        unsigned.prev_sender = prev.pdu.sender;
      }
    }
    return toClientEvent(pdu, e.eventId, version, unsigned);
  });
}
