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
