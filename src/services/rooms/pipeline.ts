// One pipeline for every local event intent: build (prev_events = forward extremities, depth,
// auth_events selected from current state), authorise against the room version's rules, hash and
// sign. Persisting is the caller's (the RoomDO's group commit); incoming federated events will
// join the same path after their own checks.
import { selectAuthEvents } from '../../matrix/auth-events';
import { authorizeByState, authResultToError } from '../../matrix/auth-rules';
import { CanonicalJsonError } from '../../matrix/canonical-json';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { buildEvent, type EventDraft } from '../../matrix/event-builder';
import { redactsTarget } from '../../matrix/redaction';
import { stateKey } from '../../matrix/state-map';
import type { SigningKey } from '../../matrix/signing';
import type { RoomEvent } from '../../matrix/types';
import type { NewEvent } from '../../db/queries/rooms';
import type { RoomModel } from './model';

/** Forward extremities referenced by a new event; more are merged by later events. */
const MAX_PREV_EVENTS = 10;

export interface Signer {
  serverName: string;
  key: SigningKey;
}

/** Builds and authorises an event on top of the model's current state (throws 403 if not allowed). */
export async function buildLocalEvent(model: RoomModel, draft: EventDraft, signer: Signer): Promise<RoomEvent> {
  const authIds = selectAuthEvents(
    model.version,
    { type: draft.type, sender: draft.sender, state_key: draft.stateKey, content: draft.content },
    (t, s) => model.get(stateKey(t, s))?.eventId,
  );
  const byId = new Map([...model.state.values()].map((e) => [e.eventId, e]));
  const prevEvents = [...model.extremities].sort((a, b) => b.pdu.depth - a.pdu.depth).slice(0, MAX_PREV_EVENTS);
  const built = await buildEvent(draft, {
    version: model.version,
    roomId: model.roomId,
    serverName: signer.serverName,
    key: signer.key,
    prevEvents,
    authEvents: authIds.map((id) => byId.get(id)!),
  }).catch(refuseNonCanonical);
  const event: RoomEvent = { eventId: built.eventId, pdu: built.pdu };
  const denied = authResultToError(authorizeByState(model.version, event, model));
  if (denied) throw denied;
  return event;
}

/** Content with no canonical JSON form (floats, integers beyond 2^53) is the client's mistake (appendices: Canonical JSON). */
export function refuseNonCanonical(e: unknown): never {
  if (e instanceof CanonicalJsonError) throw new MatrixError(400, ErrCode.BAD_JSON, `The event has no canonical JSON form: ${e.message}`);
  throw e;
}

/** What the database needs to know about an accepted event beyond the event itself. */
export function describeForStorage(model: RoomModel, event: RoomEvent, isLocalUser: (userId: string) => boolean): Omit<NewEvent, 'txn'> {
  const { pdu } = event;
  const out: Omit<NewEvent, 'txn'> = { event };
  if (typeof pdu.state_key === 'string') {
    const replaced = model.get(stateKey(pdu.type, pdu.state_key));
    if (replaced && replaced.eventId !== event.eventId) out.replacesState = replaced.eventId;
  }
  const relation = pdu.content['m.relates_to'];
  if (typeof relation === 'object' && relation !== null && !Array.isArray(relation)) {
    const r = relation as Record<string, unknown>;
    // Postgres text cannot hold U+0000: such a relation is kept in the event, not indexed.
    if (typeof r.event_id === 'string' && typeof r.rel_type === 'string' && !r.event_id.includes('\u0000') && !r.rel_type.includes('\u0000')) {
      out.relatesTo = r.event_id;
      out.relType = r.rel_type;
    }
  }
  if (pdu.type === 'm.room.redaction') {
    const target = redactsTarget(pdu, model.version);
    if (target) out.redacts = target;
  }
  if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string') out.localMember = isLocalUser(pdu.state_key);
  return out;
}
