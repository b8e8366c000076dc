// Who may see which events (spec: client-server "History visibility"): decided per event from the
// room's history visibility and the user's membership at that event, and the user's membership now.

export type HistoryVisibility = 'invited' | 'joined' | 'shared' | 'world_readable';

/** Unknown or missing values mean `shared` (spec: the default). */
export function historyVisibilityOf(content: Record<string, unknown> | undefined): HistoryVisibility {
  const v = content?.history_visibility;
  return v === 'invited' || v === 'joined' || v === 'shared' || v === 'world_readable' ? v : 'shared';
}

export interface VisibilityInput {
  /** History visibility in the state at the event. */
  visibility: HistoryVisibility;
  /** The user's membership in the state at the event (undefined: none). */
  membershipAtEvent: string | undefined;
  /** The user's membership now. */
  currentMembership: string | undefined;
  /** The event is the user's own membership event (always visible to them, as in Synapse). */
  ownMembership?: boolean;
}

export function isEventVisible({ visibility, membershipAtEvent, currentMembership, ownMembership }: VisibilityInput): boolean {
  if (ownMembership) return true;
  if (visibility === 'world_readable') return true;
  if (membershipAtEvent === 'join') return true;
  if (visibility === 'shared' && currentMembership === 'join') return true;
  if (visibility === 'invited' && membershipAtEvent === 'invite') return true;
  return false;
}
