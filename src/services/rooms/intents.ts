// What local users ask of a room, as data the RoomDO can queue, and how each becomes an event
// draft against the room's current state (checks beyond the auth rules live here, as Synapse
// has them: kicking only members, redacting others' events only with the redact level).
import { canonicalJson } from '../../matrix/canonical-json';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { EventDraft } from '../../matrix/event-builder';
import { powerLevelsIn } from '../../matrix/auth-rules';
import type { JsonObject } from '../../matrix/types';
import type { RoomModel } from './model';

export interface Txn {
  userId: string;
  deviceId: string;
  scope: string;
  txnId: string;
}

export type Intent =
  | { kind: 'event'; sender: string; type: string; content: JsonObject; stateKey?: string; txn?: Txn }
  | { kind: 'redact'; sender: string; target: string; content: JsonObject; txn?: Txn }
  | {
      kind: 'membership';
      sender: string;
      target: string;
      action: 'join' | 'invite' | 'leave' | 'kick' | 'ban' | 'unban' | 'knock';
      reason?: string;
      /** displayname / avatar_url of the target, for joins and invites. */
      profile?: JsonObject;
      isDirect?: boolean;
      joinAuthorisedVia?: string;
      /** Extra content fields the client supplied (state API, custom fields). */
      extra?: JsonObject;
    };

/** A draft to build, or the id of an event that already answers the intent (idempotency). */
export type Resolution = { draft: EventDraft } | { existing: string };

const forbidden = (msg: string) => new MatrixError(403, ErrCode.FORBIDDEN, msg);

const MEMBERSHIP_OF_ACTION = { join: 'join', invite: 'invite', leave: 'leave', kick: 'leave', ban: 'ban', unban: 'leave', knock: 'knock' } as const;

export function resolveIntent(model: RoomModel, intent: Intent, redactionTargetSender?: string): Resolution {
  switch (intent.kind) {
    case 'event': {
      // Setting state to what it already is, by the same sender, sends nothing (as Synapse does).
      const current = intent.stateKey !== undefined ? model.stateEvent(intent.type, intent.stateKey) : undefined;
      if (current && current.pdu.sender === intent.sender && sameJson(current.pdu.content, intent.content)) {
        return { existing: current.eventId };
      }
      return { draft: { type: intent.type, sender: intent.sender, content: intent.content, stateKey: intent.stateKey } };
    }
    case 'redact': {
      const pl = powerLevelsIn(model, model.version);
      if (redactionTargetSender !== undefined && redactionTargetSender !== intent.sender && pl.userLevel(intent.sender) < pl.level('redact')) {
        throw forbidden('You cannot redact events of other users');
      }
      const content = { ...intent.content };
      if (model.version.redactsInContent) content.redacts = intent.target;
      return {
        draft: { type: 'm.room.redaction', sender: intent.sender, content, redacts: model.version.redactsInContent ? undefined : intent.target },
      };
    }
    case 'membership':
      return resolveMembership(model, intent);
  }
}

function resolveMembership(model: RoomModel, intent: Extract<Intent, { kind: 'membership' }>): Resolution {
  const current = model.membership(intent.target);
  const membership = MEMBERSHIP_OF_ACTION[intent.action];
  switch (intent.action) {
    case 'kick':
      if (current !== 'join' && current !== 'invite' && current !== 'knock') throw forbidden('The target user is not in the room');
      break;
    case 'unban':
      if (current !== 'ban') throw forbidden('The target user is not banned');
      break;
    case 'join': {
      // Joining again with the same profile changes nothing: answer with the current event.
      const event = model.stateEvent('m.room.member', intent.target);
      if (current === 'join' && event && sameProfile(event.pdu.content, intent.profile)) return { existing: event.eventId };
      break;
    }
    case 'leave':
      if (current === undefined || current === 'leave') throw forbidden('You are not in this room');
      break;
    case 'invite':
      if (current === 'join') throw forbidden('The user is already in the room');
      if (current === 'ban') throw forbidden('The user is banned from the room');
      break;
  }
  const content: JsonObject = { ...intent.extra, membership };
  if ((intent.action === 'join' || intent.action === 'invite' || intent.action === 'knock') && intent.profile) {
    for (const k of ['displayname', 'avatar_url']) if (typeof intent.profile[k] === 'string') content[k] = intent.profile[k];
  }
  if (intent.reason !== undefined) content.reason = intent.reason;
  if (intent.isDirect) content.is_direct = true;
  if (intent.joinAuthorisedVia) content.join_authorised_via_users_server = intent.joinAuthorisedVia;
  return { draft: { type: 'm.room.member', sender: intent.sender, stateKey: intent.target, content } };
}

function sameProfile(content: JsonObject, profile: JsonObject | undefined): boolean {
  return (content.displayname ?? null) === (profile?.displayname ?? null) && (content.avatar_url ?? null) === (profile?.avatar_url ?? null);
}

function sameJson(a: JsonObject, b: JsonObject): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false; // not canonical: the builder will refuse it anyway
  }
}
