// Stripped state (spec: client-server "Stripped state"): what an invitee or knocker sees of a room
// before joining it.
import { stateKey } from '../../matrix/state-map';
import type { JsonObject } from '../../matrix/types';
import type { RoomModel } from './model';

export const STRIPPED_STATE_TYPES = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

/** The room's stripped state now, with the member event of `sender` (the inviter). */
export function strippedStateOf(model: RoomModel, sender: string): JsonObject[] {
  const keys = [...STRIPPED_STATE_TYPES.map((t) => stateKey(t, '')), stateKey('m.room.member', sender)];
  return keys
    .map((k) => model.get(k))
    .filter((e) => e !== undefined)
    .map((e) => ({ type: e!.pdu.type, state_key: e!.pdu.state_key, content: e!.pdu.content, sender: e!.pdu.sender }));
}
