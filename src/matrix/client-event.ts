// Serving PDUs to clients (spec: client-server "Room Event Format"; rooms/v11 asks servers
// to serve `redacts` both top-level and in content of redactions, whatever the version).

import { roomIdFromCreateEventId } from './hashes';
import type { RoomVersion } from './room-versions';
import type { ClientEvent, JsonObject, Pdu } from './types';

export function toClientEvent(pdu: Pdu, eventId: string, version: RoomVersion, unsigned?: JsonObject): ClientEvent {
  const roomId = pdu.room_id ?? roomIdFromCreateEventId(eventId); // v12 create events carry none
  const event: ClientEvent = {
    content: pdu.content,
    event_id: eventId,
    origin_server_ts: pdu.origin_server_ts,
    room_id: roomId,
    sender: pdu.sender,
    type: pdu.type,
  };
  if (pdu.state_key !== undefined) event.state_key = pdu.state_key;
  if (pdu.type === 'm.room.redaction') {
    const inContent = pdu.content.redacts;
    const target = version.redactsInContent ? inContent : pdu.redacts;
    if (typeof target === 'string') {
      event.redacts = target;
      if (typeof inContent !== 'string') event.content = { ...pdu.content, redacts: target };
    }
  }
  if (unsigned !== undefined) event.unsigned = unsigned;
  return event;
}
