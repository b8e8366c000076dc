// State resolution for every room version: v1 for room version 1, v2 for 2–11, and v2.1
// (MSC4297) for 12. Pure: all events come in the input; see common.ts.

import type { RoomVersion } from '../room-versions';
import type { StateMap } from '../state-map';
import { EventStore, type StateResolutionInput } from './common';
import { resolveV1 } from './v1';
import { resolveV2 } from './v2';

export function resolveState(version: RoomVersion, input: StateResolutionInput): StateMap {
  const store = new EventStore(version, input.events, input.rejected);
  return version.stateRes === 'v1' ? resolveV1(store, input) : resolveV2(store, input);
}

export { authClosure, EventStore, MissingEventsError, splitConflicted, type StateResolutionInput } from './common';
export { authDifference, conflictedStateSubgraph, isPowerEvent, iterativeAuthChecks, mainlineSort, reverseTopologicalPowerSort } from './v2';
