// Push actions of one new event for the users of its room (spec: client-server "Server behaviour"
// of push notifications, "Receiving notifications" and threaded notification counts).
import { evaluate } from './evaluate';
import type { PushAction, PushEvent, PushRuleset } from './types';

/** One user who may be notified: their display name in the room and their effective ruleset. */
export interface PushRecipient {
  userId: string;
  displayName: string | null;
  ruleset: PushRuleset;
}

/** The room around the event: joined member count and the power levels that gate notifications. */
export interface RoomPushState {
  memberCount: number;
  senderPowerLevel: number;
  notificationPowerLevels: Readonly<Record<string, number>>;
}

/** A user to notify: what their matching rule asks for. */
export interface UserPushActions {
  userId: string;
  actions: PushAction[];
  notify: true;
  highlight: boolean;
}

/**
 * Evaluates each recipient's rules against the event and keeps those whose matching rule notifies.
 * The sender is never notified of their own event (spec: "Push Rules").
 */
export function computePushActionsForEvent(event: PushEvent, recipients: Iterable<PushRecipient>, room: RoomPushState): UserPushActions[] {
  const out: UserPushActions[] = [];
  for (const r of recipients) {
    if (r.userId === event.sender) continue;
    const outcome = evaluate(event, r.ruleset, { ...room, userId: r.userId, displayName: r.displayName });
    if (outcome.notify) out.push({ userId: r.userId, actions: outcome.actions, notify: true, highlight: outcome.highlight });
  }
  return out;
}

/** The relation an event declares in `m.relates_to`, when it has a type and a target. */
export function relationOf(content: Record<string, unknown>): { relType: string; eventId: string } | undefined {
  const rel = content['m.relates_to'];
  if (typeof rel !== 'object' || rel === null || Array.isArray(rel)) return undefined;
  const { rel_type: relType, event_id: eventId } = rel as Record<string, unknown>;
  return typeof relType === 'string' && typeof eventId === 'string' ? { relType, eventId } : undefined;
}

/** The thread root of an event in a thread (rel_type m.thread), or null for the main timeline. */
export function threadIdOf(content: Record<string, unknown>): string | null {
  const rel = relationOf(content);
  return rel?.relType === 'm.thread' ? rel.eventId : null;
}
