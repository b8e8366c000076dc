// Reading relations and threads (spec: GET /relations, GET /threads).
import type { Db } from '../../db/client';
import { relationPage, threadRoots } from '../../db/queries/relations';
import { getEvent, getEvents } from '../../db/queries/rooms';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { ClientEvent } from '../../matrix/types';
import type { RoomModel } from './model';
import { notMember, positionToken, visibleTo } from './read';
import { serveEvents, type Viewer } from './serve';

/** How deep `recurse` follows relations of relations (Synapse's choice). */
export const MAX_RECURSION_DEPTH = 3;

export interface RelationsQuery {
  eventId: string;
  relType?: string;
  eventType?: string;
  from?: number;
  to?: number;
  dir: 'b' | 'f';
  limit: number;
  recurse: boolean;
}

async function visibleParent(db: Db, model: RoomModel, viewer: Viewer, eventId: string) {
  const parent = await getEvent(db, eventId);
  if (!parent || parent.roomId !== model.roomId || parent.streamPos === null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  if ((await visibleTo(db, model, viewer.userId, [parent])).length === 0) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  return parent;
}

export async function relations(db: Db, model: RoomModel, viewer: Viewer, q: RelationsQuery) {
  await visibleParent(db, model, viewer, q.eventId);
  // With recurse, the parents are the event and its descendants, breadth first.
  let parents = [q.eventId];
  if (q.recurse) {
    let frontier = [q.eventId];
    for (let depth = 1; depth < MAX_RECURSION_DEPTH && frontier.length; depth++) {
      const next = await relationPage(db, model.roomId, frontier, { dir: 'f', limit: 10_000 });
      frontier = next.map((r) => r.eventId).filter((id) => !parents.includes(id));
      parents = [...parents, ...frontier];
    }
  }
  const page = await relationPage(db, model.roomId, parents, {
    relType: q.relType,
    eventType: q.eventType,
    dir: q.dir,
    limit: q.limit + 1,
    after: q.dir === 'f' ? (q.from ?? 0) : q.to,
    before: q.dir === 'b' ? (q.from === undefined ? undefined : q.from + 1) : q.to === undefined ? undefined : q.to + 1,
  });
  const more = page.length > q.limit;
  const rows = page.slice(0, q.limit);
  const stored = await getEvents(db, rows.map((r) => r.eventId));
  const visible = await visibleTo(db, model, viewer.userId, rows.map((r) => stored.get(r.eventId)!).filter(Boolean));
  const out: { chunk: ClientEvent[]; next_batch?: string; prev_batch?: string; recursion_depth?: number } = {
    chunk: await serveEvents(db, model.version, visible, viewer, { bundle: true }),
  };
  if (more && rows.length) {
    const last = rows[rows.length - 1].streamPos;
    out.next_batch = positionToken(q.dir === 'b' ? last - 1 : last);
  }
  if (q.from !== undefined) out.prev_batch = positionToken(q.from);
  if (q.recurse) out.recursion_depth = MAX_RECURSION_DEPTH;
  return out;
}

export async function threads(db: Db, model: RoomModel, viewer: Viewer, q: { include: 'all' | 'participated'; from?: number; limit: number }) {
  if (model.membership(viewer.userId) === undefined) throw notMember();
  const roots = await threadRoots(db, model.roomId, {
    before: q.from === undefined ? undefined : q.from + 1,
    limit: q.limit + 1,
    participant: q.include === 'participated' ? viewer.userId : undefined,
  });
  const more = roots.length > q.limit;
  const page = roots.slice(0, q.limit);
  const stored = await getEvents(db, page.map((r) => r.root));
  const visible = await visibleTo(db, model, viewer.userId, page.map((r) => stored.get(r.root)!).filter(Boolean));
  const out: { chunk: ClientEvent[]; next_batch?: string } = { chunk: await serveEvents(db, model.version, visible, viewer, { bundle: true }) };
  if (more && page.length) out.next_batch = positionToken(page[page.length - 1].latest - 1);
  return out;
}

/**
 * Sending: a thread cannot start from an event that itself relates to another (spec: "Validation of
 * m.thread relationships": 400 M_UNKNOWN), and a relation must target an event of the same room.
 */
export async function checkRelation(db: Db, roomId: string, content: Record<string, unknown>): Promise<void> {
  const rel = content['m.relates_to'];
  if (typeof rel !== 'object' || rel === null || Array.isArray(rel)) return;
  const { rel_type: relType, event_id: target } = rel as Record<string, unknown>;
  if (typeof relType !== 'string' || typeof target !== 'string') return;
  const parent = await getEvent(db, target);
  if (!parent || parent.roomId !== roomId) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'The related event is not in this room');
  if (relType === 'm.thread') {
    const parentRel = parent.pdu.content['m.relates_to'];
    if (typeof parentRel === 'object' && parentRel !== null && typeof (parentRel as Record<string, unknown>).rel_type === 'string') {
      throw new MatrixError(400, ErrCode.UNKNOWN, 'A thread cannot start from an event that is itself a relation');
    }
  }
}
