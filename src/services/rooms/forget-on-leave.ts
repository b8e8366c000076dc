// Forgetting rooms upon leave (spec v1.18: the m.forget_forced_upon_leave capability; config
// FORGET_ROOMS_ON_LEAVE, default off as Synapse's forget_rooms_on_leave). When a local user leaves a
// room, or is kicked or banned from it, the room is forgotten as if they had called /forget,
// in the transaction that stores their membership.
import type { RoomEvent } from '../../matrix/types';

/** The membership events among `events` that make a local user leave the room (leave or ban). */
export function leavesOfLocalUsers(events: RoomEvent[], isLocal: (userId: string) => boolean): string[] {
  return events
    .filter((e) => e.pdu.type === 'm.room.member' && typeof e.pdu.state_key === 'string' && isLocal(e.pdu.state_key))
    .filter((e) => e.pdu.content.membership === 'leave' || e.pdu.content.membership === 'ban')
    .map((e) => e.eventId);
}
