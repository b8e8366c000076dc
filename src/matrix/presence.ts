// Presence as clients see it (spec: "Presence"): a user who is online but inactive for a while is
// reported as unavailable (idle), and `currently_active` only while activity is recent.
export type PresenceState = 'online' | 'offline' | 'unavailable';

/** Synapse's idle timer: five minutes without activity. */
export const IDLE_AFTER_MS = 5 * 60_000;
/** Activity this recent counts as "currently active". */
export const ACTIVE_WITHIN_MS = 60_000;

export interface PresenceContent {
  presence: PresenceState;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg?: string;
}

export function presenceContent(state: string, lastActiveTs: number, statusMsg: string | null, now: number): PresenceContent {
  const ago = Math.max(0, now - lastActiveTs);
  let effective: PresenceState = state === 'online' || state === 'unavailable' ? state : 'offline';
  if (effective === 'online' && ago > IDLE_AFTER_MS) effective = 'unavailable';
  const content: PresenceContent = { presence: effective, last_active_ago: ago };
  if (effective !== 'offline') content.currently_active = effective === 'online' && ago < ACTIVE_WITHIN_MS;
  if (statusMsg !== null) content.status_msg = statusMsg;
  return content;
}

/** Activity refreshes are stored at most this often: a user who keeps syncing stays currently active. */
export const ACTIVITY_REFRESH_MS = ACTIVE_WITHIN_MS / 2;

/**
 * What a sync that marks the user `state` does to their stored presence: nothing (`skip`), store
 * it silently (`refresh`: the next sync of a room mate carries it), or store it and tell room mates
 * now (`notify`). As Synapse (`should_notify`), room mates are told when the state changes or the
 * user becomes active again, not of every refresh of a user who stays active.
 */
export function activityUpdate(current: { state: string; lastActiveTs: number }, state: PresenceState, now: number): 'skip' | 'refresh' | 'notify' {
  if (current.state !== state) return 'notify';
  const since = now - current.lastActiveTs;
  if (since >= ACTIVE_WITHIN_MS) return 'notify';
  return since >= ACTIVITY_REFRESH_MS ? 'refresh' : 'skip';
}
