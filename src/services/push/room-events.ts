// Push actions of new room events, as the room server computes them before persisting a batch
// (spec: "Server behaviour": the push rules of each local user in the room, except the sender;
// the notification count of an event must appear in the same /sync response as the event).
import type { Db } from '../../db/client';
import { getEvents, type StoredEvent } from '../../db/queries/rooms';
import type { PendingPushAction } from '../../db/queries/push';
import { powerLevelsIn } from '../../matrix/auth-rules';
import { toClientEvent } from '../../matrix/client-event';
import { computePushActionsForEvent, relationOf, threadIdOf, type PushEvent, type PushRecipient, type RoomPushState } from '../../matrix/push-rules';
import type { RoomEvent } from '../../matrix/types';
import { redactsTarget } from '../../matrix/redaction';
import { leavesOfLocalUsers } from '../rooms/forget-on-leave';
import type { RoomModel } from '../rooms/model';
import type { PushRulesLoader } from './loader';

export type { PendingPushAction };

/** What a commit writes besides its events: notification rows (stored with the events' positions) and what the events undo. */
export interface PushWrites {
  pushActions: PendingPushAction[];
  /** Earlier events redacted: their notification rows go. */
  unnotify: string[];
  /** Leave or ban events whose memberships are stored as forgotten (FORGET_ROOMS_ON_LEAVE). */
  forgotten: string[];
}

/**
 * Who may be notified of an event: the room's local joined members and, for an invite, the local
 * invitee (who is not joined yet: .m.rule.invite_for_me), never the sender.
 */
export function pushRecipients(localJoined: readonly string[], event: RoomEvent, isLocal: (userId: string) => boolean): string[] {
  const users = new Set(localJoined);
  const { pdu } = event;
  if (pdu.type === 'm.room.member' && pdu.content.membership === 'invite' && typeof pdu.state_key === 'string' && isLocal(pdu.state_key)) users.add(pdu.state_key);
  users.delete(pdu.sender);
  return [...users];
}

function displayNameIn(model: RoomModel, userId: string): string | null {
  const name = model.content('m.room.member', userId)?.displayname;
  return typeof name === 'string' ? name : null;
}

/**
 * The push actions of a batch of new events against the model's current state (call it after the
 * batch was applied to the model, before persisting it). Loads the members' rules (one query, plus
 * reads for users whose rules changed) and, for events related to an event of a thread (a reaction
 * to or edit of a thread message), the thread of the related event (one hop, as Synapse does).
 */
export async function pushActionsForBatch(
  db: Db,
  loader: PushRulesLoader,
  model: RoomModel,
  events: RoomEvent[],
  isLocal: (userId: string) => boolean,
  now = Date.now(),
): Promise<PendingPushAction[]> {
  const joined = model.members('join');
  const localJoined = joined.filter(isLocal);
  const recipientsOf = events.map((e) => pushRecipients(localJoined, e, isLocal));
  await loader.load(recipientsOf.flat());
  const pl = powerLevelsIn(model, model.version);
  const notificationPowerLevels = Object.fromEntries(pl.parsed?.notifications ?? []);
  const displayNames = new Map<string, string | null>();
  const displayNameOf = (userId: string): string | null => {
    if (!displayNames.has(userId)) displayNames.set(userId, displayNameIn(model, userId));
    return displayNames.get(userId)!;
  };
  const out: PendingPushAction[] = [];
  const needParent: { row: PendingPushAction; parent: string }[] = [];
  events.forEach((event, i) => {
    const recipients: PushRecipient[] = recipientsOf[i]
      .filter((u) => !loader.ignores(u, event.pdu.sender))
      .map((userId) => ({ userId, displayName: displayNameOf(userId), ruleset: loader.ruleset(userId) }));
    if (recipients.length === 0) return;
    const client: PushEvent = toClientEvent(event.pdu, event.eventId, model.version);
    const room: RoomPushState = { memberCount: joined.length, senderPowerLevel: pl.userLevel(event.pdu.sender), notificationPowerLevels };
    const threadId = threadIdOf(event.pdu.content);
    const relation = relationOf(event.pdu.content);
    for (const a of computePushActionsForEvent(client, recipients, room)) {
      const row: PendingPushAction = { userId: a.userId, roomId: model.roomId, eventId: event.eventId, notify: a.notify, highlight: a.highlight, threadId, actions: a.actions, ts: now };
      out.push(row);
      if (threadId === null && relation) needParent.push({ row, parent: relation.eventId });
    }
  });
  if (needParent.length) {
    const inBatch = new Map(events.map((e) => [e.eventId, e.pdu.content]));
    const missing = [...new Set(needParent.map((n) => n.parent))].filter((id) => !inBatch.has(id));
    const stored: Map<string, StoredEvent> = missing.length ? await getEvents(db, missing) : new Map();
    for (const { row, parent } of needParent) {
      const content = inBatch.get(parent) ?? stored.get(parent)?.pdu.content;
      if (content) row.threadId = threadIdOf(content);
    }
  }
  return out;
}

/**
 * Notification actions of new events for the local members (computed on the state the events
 * were applied to), to store with the events, and what else the events change in the same
 * transaction: redacted events notify no one, and with FORGET_ROOMS_ON_LEAVE a local user's leave
 * forgets the room. A failure computing actions never fails a send: notifications are lost, not
 * messages.
 */
export async function pushWritesForBatch(
  db: Db,
  loader: PushRulesLoader,
  model: RoomModel,
  events: RoomEvent[],
  isLocal: (userId: string) => boolean,
  forgetOnLeave: boolean,
): Promise<PushWrites> {
  let pushActions: PendingPushAction[] = [];
  try {
    pushActions = await pushActionsForBatch(db, loader, model, events, isLocal);
  } catch (e) {
    console.error('[room] computing push actions failed:', e);
  }
  return {
    pushActions,
    unnotify: events.map((e) => (e.pdu.type === 'm.room.redaction' ? redactsTarget(e.pdu, model.version) : undefined)).filter((x): x is string => !!x),
    forgotten: forgetOnLeave ? leavesOfLocalUsers(events, isLocal) : [],
  };
}
