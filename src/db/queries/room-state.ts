// Current state of a room read from Postgres, for handlers that decide before anything reaches the
// room's object (permissions for the directory, room upgrades, search and history lookups).
import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { events, roomState } from '../schema';
import { parsePdu, type StoredEvent } from './rooms';

const stored = {
  eventId: events.eventId,
  roomId: events.roomId,
  json: events.json,
  streamPos: events.streamPos,
  stateGroup: events.stateGroup,
  redactedBy: events.redactedBy,
  rejected: events.rejected,
  outlier: events.outlier,
  replacesState: events.replacesState,
};

/** Which state to read: whole types, and single (type, state_key) entries. */
export interface StateSelection {
  types?: string[];
  keys?: [type: string, stateKey: string][];
}

/** The room's current state events: all of them, or the selected ones. */
export async function currentState(db: Db, roomId: string, select?: StateSelection): Promise<StoredEvent[]> {
  const conds: SQL[] = [eq(roomState.roomId, roomId)];
  if (select) {
    const wanted: SQL[] = [];
    if (select.types?.length) wanted.push(inArray(roomState.type, select.types));
    for (const [type, key] of select.keys ?? []) wanted.push(and(eq(roomState.type, type), eq(roomState.stateKey, key))!);
    if (wanted.length === 0) return [];
    conds.push(or(...wanted)!);
  }
  const rows = await db
    .select(stored)
    .from(roomState)
    .innerJoin(events, eq(events.eventId, roomState.eventId))
    .where(and(...conds));
  return rows.map(({ json, ...rest }) => ({ ...rest, pdu: parsePdu(json) }));
}
