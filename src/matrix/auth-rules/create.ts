// Auth rule 1: the `m.room.create` event.

import { checkUserId, serverNameOf } from '../ids';
import { prevEventIds } from '../pdu';
import { getRoomVersion, type RoomVersion } from '../room-versions';
import type { Pdu } from '../types';
import { ALLOWED, type AuthResult, rejected } from './result';

export function checkCreateEvent(version: RoomVersion, pdu: Pdu): AuthResult {
  if (prevEventIds(pdu).length > 0) {
    return rejected('create.prev_events', 'the create event has prev_events');
  }
  if (version.roomIdFormat === 'create-event') {
    // v12: the room id is derived from this event's id, so the event cannot carry one.
    if ('room_id' in pdu) return rejected('create.room_id', 'the create event has a room_id');
  } else if (typeof pdu.room_id !== 'string' || serverNameOf(pdu.room_id) !== serverNameOf(pdu.sender)) {
    return rejected('create.room_id', "the room id's server does not match the sender's");
  }
  const rv = pdu.content.room_version;
  if (rv !== undefined && (typeof rv !== 'string' || getRoomVersion(rv) === undefined)) {
    return rejected('create.room_version', `unrecognised room version ${JSON.stringify(rv)}`);
  }
  if (!version.implicitRoomCreator && !('creator' in pdu.content)) {
    return rejected('create.creator', 'content has no creator');
  }
  if (version.roomCreators && 'additional_creators' in pdu.content) {
    const extra = pdu.content.additional_creators;
    if (!Array.isArray(extra) || !extra.every((u) => typeof u === 'string' && checkUserId(u) === null)) {
      return rejected('create.additional_creators', 'additional_creators must be an array of user ids');
    }
  }
  return ALLOWED;
}
