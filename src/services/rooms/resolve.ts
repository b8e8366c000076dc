// Running state resolution inside the room's object: the algorithm is pure and asks for every
// event it reads (auth chains included), which this module loads from the database until it has
// them all.
import type { Db } from '../../db/client';
import { getEvents } from '../../db/queries/rooms';
import type { RoomVersion } from '../../matrix/room-versions';
import { MissingEventsError, resolveState } from '../../matrix/state-resolution';
import type { StateMap } from '../../matrix/state-map';
import type { Pdu } from '../../matrix/types';

export class UnresolvableState extends Error {}

/** Resolves several states; fails with UnresolvableState when an auth chain is not stored here. */
export async function resolveStates(db: Db, version: RoomVersion, stateSets: Map<string, string>[], known: Map<string, Pdu> = new Map()): Promise<StateMap> {
  const pdus = new Map(known);
  const rejected = new Set<string>();
  const load = async (ids: string[]) => {
    const found = await getEvents(db, ids.filter((id) => !pdus.has(id)));
    for (const [id, e] of found) {
      pdus.set(id, e.pdu);
      if (e.rejected) rejected.add(id);
    }
    return found.size;
  };
  await load(stateSets.flatMap((s) => [...s.values()]));
  for (let round = 0; round < 1000; round++) {
    try {
      return resolveState(version, { stateSets, events: pdus, rejected });
    } catch (e) {
      if (!(e instanceof MissingEventsError)) throw e;
      if ((await load([...e.missing])) === 0) throw new UnresolvableState(`events not stored: ${e.missing.slice(0, 3).join(', ')}`);
    }
  }
  throw new UnresolvableState('auth chains too deep');
}
