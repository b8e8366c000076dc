// Bundled aggregations (spec: "Aggregations of child events"): what `unsigned.m.relations` carries
// for threads (m.thread), edits (m.replace) and references (m.reference).
import type { Db } from '../../db/client';
import { childrenOf, type ChildRow } from '../../db/queries/relations';
import { getEvents, type StoredEvent } from '../../db/queries/rooms';
import type { JsonObject } from '../../matrix/types';

const AGGREGATED = ['m.thread', 'm.replace', 'm.reference'];

/** An edit counts only if it matches its original (spec: "Validity of replacement events"). */
function validEdit(original: StoredEvent, edit: ChildRow, editContent: JsonObject | undefined): boolean {
  const originalRel = (original.pdu.content['m.relates_to'] as JsonObject | undefined)?.rel_type;
  return (
    edit.sender === original.pdu.sender &&
    edit.type === original.pdu.type &&
    edit.stateKey === null &&
    original.pdu.state_key === undefined &&
    originalRel !== 'm.replace' &&
    // Encrypted edits carry m.new_content inside the ciphertext.
    (edit.type === 'm.room.encrypted' || typeof editContent?.['m.new_content'] === 'object')
  );
}

export interface Bundles {
  /** Per parent: m.relations without the served forms of the latest events yet. */
  relations: Map<string, JsonObject>;
  /** Events to serve and put in place: parent → key → event. */
  latest: Map<string, { thread?: StoredEvent; edit?: StoredEvent }>;
}

export async function computeBundles(db: Db, parents: StoredEvent[], viewerId: string): Promise<Bundles> {
  const out: Bundles = { relations: new Map(), latest: new Map() };
  const candidates = parents.filter((p) => !p.redactedBy && p.pdu.state_key === undefined);
  if (candidates.length === 0) return out;
  const children = await childrenOf(db, candidates.map((p) => p.eventId), AGGREGATED);
  if (children.length === 0) return out;
  const byParent = new Map<string, ChildRow[]>();
  for (const c of children) {
    let list = byParent.get(c.relatesTo);
    if (!list) byParent.set(c.relatesTo, (list = []));
    list.push(c);
  }
  // Edits need their content to be validated; threads need their latest event.
  const wanted = new Set<string>();
  for (const list of byParent.values()) {
    for (const c of list) if (c.relType === 'm.replace') wanted.add(c.eventId);
    const threads = list.filter((c) => c.relType === 'm.thread');
    if (threads.length) wanted.add(threads.reduce((a, b) => (b.streamPos > a.streamPos ? b : a)).eventId);
  }
  const bodies = await getEvents(db, [...wanted]);

  for (const parent of candidates) {
    const list = byParent.get(parent.eventId);
    if (!list) continue;
    const relations: JsonObject = {};
    const latest: { thread?: StoredEvent; edit?: StoredEvent } = {};
    const threads = list.filter((c) => c.relType === 'm.thread');
    if (threads.length) {
      const last = threads.reduce((a, b) => (b.streamPos > a.streamPos ? b : a));
      latest.thread = bodies.get(last.eventId);
      relations['m.thread'] = {
        count: threads.length,
        current_user_participated: parent.pdu.sender === viewerId || threads.some((t) => t.sender === viewerId),
      };
    }
    const edits = list
      .filter((c) => c.relType === 'm.replace' && validEdit(parent, c, bodies.get(c.eventId)?.pdu.content))
      .sort((a, b) => a.originServerTs - b.originServerTs || (a.eventId < b.eventId ? -1 : 1));
    if (edits.length) latest.edit = bodies.get(edits[edits.length - 1].eventId);
    const refs = list.filter((c) => c.relType === 'm.reference').sort((a, b) => a.streamPos - b.streamPos);
    if (refs.length) relations['m.reference'] = { chunk: refs.map((r) => ({ event_id: r.eventId })) };
    if (Object.keys(relations).length || latest.edit) {
      out.relations.set(parent.eventId, relations);
      out.latest.set(parent.eventId, latest);
    }
  }
  return out;
}
