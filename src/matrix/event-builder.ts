// Building a new PDU (spec: server-server "PDUs", "Signing Events"): the per-version event
// format, depth, prev/auth references, content hash, signature and event id. The caller
// (the room's Durable Object) picks prev_events (forward extremities) and auth events
// (selectAuthEvents over current state) and authorises the result before persisting.

import { checkPduSize } from './event-format';
import { hashAndSignEvent } from './event-signing';
import { computeEventId, computeReferenceHash, generateLegacyEventId, roomIdFromCreateEventId } from './hashes';
import { encodeBase64 } from './base64';
import type { RoomVersion } from './room-versions';
import type { SigningKey } from './signing';
import type { EventReference, JsonObject, Pdu, RoomEvent } from './types';

export interface EventDraft {
  type: string;
  stateKey?: string;
  sender: string;
  content: JsonObject;
  /** Redactions before room version 11 (from v11 `redacts` belongs in content). */
  redacts?: string;
  originServerTs?: number;
}

export interface BuildContext {
  version: RoomVersion;
  /** Undefined only for a room version 12 create event. */
  roomId: string | undefined;
  serverName: string;
  key: SigningKey;
  prevEvents: readonly RoomEvent[];
  authEvents: readonly RoomEvent[];
}

export async function references(events: readonly RoomEvent[], version: RoomVersion): Promise<string[] | EventReference[]> {
  if (version.eventIdFormat !== 'v1') return events.map((e) => e.eventId);
  return Promise.all(
    events.map(async (e): Promise<EventReference> => [e.eventId, { sha256: encodeBase64(await computeReferenceHash(e.pdu, version)) }]),
  );
}

/** Builds, hashes and signs an event; returns it with its event id (and v12 room id). */
export async function buildEvent(draft: EventDraft, ctx: BuildContext): Promise<RoomEvent & { roomId: string }> {
  const { version } = ctx;
  const maxPrevDepth = ctx.prevEvents.reduce((m, e) => Math.max(m, e.pdu.depth), 0);
  const event: JsonObject = {
    type: draft.type,
    sender: draft.sender,
    content: draft.content,
    origin_server_ts: draft.originServerTs ?? Date.now(),
    depth: Math.min(maxPrevDepth + 1, version.maxDepth),
    prev_events: await references(ctx.prevEvents, version),
    auth_events: await references(ctx.authEvents, version),
  };
  if (ctx.roomId !== undefined) event.room_id = ctx.roomId;
  if (draft.stateKey !== undefined) event.state_key = draft.stateKey;
  if (draft.redacts !== undefined && !version.redactsInContent) event.redacts = draft.redacts;
  if (version.eventIdFormat === 'v1') event.event_id = generateLegacyEventId(ctx.serverName);

  const signed = await hashAndSignEvent(event, version, ctx.serverName, ctx.key);
  checkPduSize(signed);
  const pdu = signed as unknown as Pdu;
  const eventId = await computeEventId(signed, version);
  return { eventId, pdu, roomId: ctx.roomId ?? roomIdFromCreateEventId(eventId) };
}
