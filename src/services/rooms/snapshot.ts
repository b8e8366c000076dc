// A read-only view of a room's current state as Postgres has it, for Worker-side decisions that
// come before any intent reaches the RoomDO (who may publish, delete an alias, upgrade, search).
// The RoomDO stays the authority: anything sent is authorised again there.
import type { Db } from '../../db/client';
import { getRoom } from '../../db/queries/rooms';
import { currentState, type StateSelection } from '../../db/queries/room-state';
import type { StoredEvent } from '../../db/queries/rooms';
import { PowerLevels } from '../../matrix/power-levels';
import { getRoomVersion, type RoomVersion } from '../../matrix/room-versions';
import { stateKey } from '../../matrix/state-map';
import type { JsonObject } from '../../matrix/types';
import { RoomModel } from './model';

export class RoomSnapshot {
  constructor(
    readonly roomId: string,
    readonly version: RoomVersion,
    /** Current state by stateKey(type, state_key): all of it, or what was selected. */
    readonly state: Map<string, StoredEvent>,
  ) {}

  event(type: string, key = ''): StoredEvent | undefined {
    return this.state.get(stateKey(type, key));
  }

  content(type: string, key = ''): JsonObject | undefined {
    return this.event(type, key)?.pdu.content;
  }

  membership(userId: string): string | undefined {
    const m = this.content('m.room.member', userId)?.membership;
    return typeof m === 'string' ? m : undefined;
  }

  powerLevels(): PowerLevels {
    return PowerLevels.fromEvents(this.version, this.event('m.room.create')?.pdu, this.event('m.room.power_levels')?.pdu);
  }

  /**
   * The state as a RoomModel, for the read functions of read.ts (history visibility needs the
   * reader's membership and the room's history visibility, which the selection must include).
   */
  model(): RoomModel {
    return new RoomModel(this.roomId, this.version, new Map(this.state), [], null, 0);
  }
}

/** The state needed to check a user's power and membership. */
export function powerSelection(userId: string): StateSelection {
  return { keys: [['m.room.create', ''], ['m.room.power_levels', ''], ['m.room.history_visibility', ''], ['m.room.member', userId]] };
}

/** The room as it stands, or undefined when this server does not know it. */
export async function loadSnapshot(db: Db, roomId: string, select?: StateSelection): Promise<RoomSnapshot | undefined> {
  const [room, events] = await Promise.all([getRoom(db, roomId), currentState(db, roomId, select)]);
  if (!room) return undefined;
  const version = getRoomVersion(room.version);
  if (!version) return undefined;
  return new RoomSnapshot(roomId, version, new Map(events.map((e) => [stateKey(e.pdu.type, e.pdu.state_key!), e])));
}
