// The room as its Durable Object holds it in memory: version, current state (whole events, for
// authorisation and for serving), forward extremities and the current state group.
import { powerLevelsIn, type AuthState } from '../../matrix/auth-rules';
import { serverNameOf } from '../../matrix/ids';
import { redactEvent, redactsTarget } from '../../matrix/redaction';
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
    if (pdu.type === 'm.room.redaction') this.redactState(event);
    this.extremities = [event];
  }

  /**
   * A redaction of a current state event: the state keeps the redacted event, which then counts
   * as though its stripped keys were never set (spec: "Redactions"), for authorisation included.
   */
  redactState(redaction: RoomEvent): void {
    const target = redactsTarget(redaction.pdu, this.version);
    if (!target) return;
    for (const [key, e] of this.state) {
      if (e.eventId !== target) continue;
      if (!this.#redactionApplies(redaction.pdu, e.pdu)) return;
      this.state.set(key, { eventId: e.eventId, pdu: redactEvent(e.pdu, this.version) as unknown as Pdu });
      return;
    }
  }

  /** A redaction takes effect if its sender may redact others' events, or the target is from its own server (rooms v3+). */
  #redactionApplies(redaction: Pdu, target: Pdu): boolean {
    if (serverNameOf(redaction.sender) === serverNameOf(target.sender)) return true;
    const pl = powerLevelsIn(this, this.version);
    return pl.userLevel(redaction.sender) >= pl.level('redact');
  }

  get depth(): number {
    return this.extremities.reduce((m, e) => Math.max(m, e.pdu.depth), 0);
  }
}

export function isState(pdu: Pdu): pdu is Pdu & { state_key: string } {
  return typeof pdu.state_key === 'string';
}
