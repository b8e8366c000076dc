// Who may see which events (spec: client-server "History visibility", Server behaviour): decided
// per event from the room's history visibility and the user's membership in the state at that
// event, and whether the user joined the room at some point after it.

export type HistoryVisibility = 'invited' | 'joined' | 'shared' | 'world_readable';

/** Unknown or missing values mean `shared` (spec: the default). */
export function historyVisibilityOf(content: Record<string, unknown> | undefined): HistoryVisibility {
  const v = content?.history_visibility;
  return v === 'invited' || v === 'joined' || v === 'shared' || v === 'world_readable' ? v : 'shared';
}

/** The two values of a room state that decide visibility. */
export interface VisibilityState {
  visibility: HistoryVisibility;
  /** The user's membership (undefined: none). */
  membership: string | undefined;
}

/** The spec's rules 1 to 5 for an event with the given state. */
export function allowedByState(state: VisibilityState, joinedAfter: boolean): boolean {
  if (state.visibility === 'world_readable') return true;
  if (state.membership === 'join') return true;
  if (state.visibility === 'shared' && joinedAfter) return true;
  if (state.visibility === 'invited' && state.membership === 'invite') return true;
  return false;
}

export interface VisibilityInput {
  /** The state at the event (after it, for a state event). */
  at: VisibilityState;
  /**
   * For an m.room.history_visibility event and for the user's own m.room.member events: the state
   * before it (the spec allows them if either state allows them).
   */
  before?: VisibilityState;
  /** The user joined the room at some point after the event was sent. */
  joinedAfter: boolean;
  /** The event is the user's own membership event. */
  ownMembership?: boolean;
}

export function isEventVisible({ at, before, joinedAfter, ownMembership }: VisibilityInput): boolean {
  if (allowedByState(at, joinedAfter)) return true;
  if (before && allowedByState(before, joinedAfter)) return true;
  // A user always sees their own leave from an invite (a rejection or a withdrawn invite), or they
  // would never see the room go (Synapse does the same).
  return ownMembership === true && at.membership === 'leave' && before?.membership === 'invite';
}
