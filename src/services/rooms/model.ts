// The room as its Durable Object holds it in memory: version, current state (whole events, for
// authorisation and for serving), forward extremities and the current state group.
import type { AuthState } from '../../matrix/auth-rules';
import type { RoomVersion } from '../../matrix/room-versions';
import { splitStateKey, stateKey } from '../../matrix/state-map';
import type { Pdu, RoomEvent } from '../../matrix/types';

export class RoomModel implements AuthState {
  constructor(
    readonly roomId: string,
    readonly version: RoomVersion,
    /** Current state by stateKey(type, state_key). */
    readonly state: Map<string, RoomEvent>,
    public extremities: RoomEvent[],
    public stateGroup: number | null,
    public chainLength: number,
  ) {}

  get(key: string): RoomEvent | undefined {
    return this.state.get(key);
  }

  stateEvent(type: string, key = ''): RoomEvent | undefined {
    return this.state.get(stateKey(type, key));
  }

  content(type: string, key = ''): Record<string, unknown> | undefined {
    return this.stateEvent(type, key)?.pdu.content;
  }

  membership(userId: string): string | undefined {
    const m = this.content('m.room.member', userId)?.membership;
    return typeof m === 'string' ? m : undefined;
  }

  /** Users with the given membership. */
  members(membership = 'join'): string[] {
    const out: string[] = [];
    for (const [key, e] of this.state) {
      if (e.pdu.type === 'm.room.member' && e.pdu.content.membership === membership) out.push(splitStateKey(key)[1]);
    }
    return out;
  }

  /** (type, state_key, event id) of the whole current state, for a state snapshot. */
  stateEntries(): [string, string, string][] {
    return [...this.state].map(([key, e]) => {
      const [type, sk] = splitStateKey(key);
      return [type, sk, e.eventId];
    });
  }

  /** Takes an accepted event into the model: it becomes the only forward extremity. */
  apply(event: RoomEvent): void {
    const { pdu } = event;
    if (typeof pdu.state_key === 'string') this.state.set(stateKey(pdu.type, pdu.state_key), event);
    this.extremities = [event];
  }

  get depth(): number {
    return this.extremities.reduce((m, e) => Math.max(m, e.pdu.depth), 0);
  }
}

export function isState(pdu: Pdu): pdu is Pdu & { state_key: string } {
  return typeof pdu.state_key === 'string';
}
