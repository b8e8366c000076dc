// The outcome of an authorisation check. A rejection names the rule (stable ids, used by
// tests and logs) and says why in words; it is a value, not an exception, because state
// resolution runs thousands of checks where rejection is an ordinary outcome.

import { ErrCode, MatrixError } from '../errors';

export type AuthRule =
  | 'create.prev_events'
  | 'create.room_id'
  | 'create.room_version'
  | 'create.creator'
  | 'create.additional_creators'
  | 'room_id.create_event'
  | 'auth_events.missing'
  | 'auth_events.duplicate'
  | 'auth_events.unexpected'
  | 'auth_events.rejected'
  | 'auth_events.no_create'
  | 'auth_events.room_id'
  | 'state.no_create'
  | 'federate'
  | 'aliases.state_key'
  | 'aliases.domain'
  | 'member.state_key'
  | 'member.membership'
  | 'member.authorised_via_signature'
  | 'member.join.sender_not_target'
  | 'member.join.banned'
  | 'member.join.restricted_authoriser'
  | 'member.join.not_allowed'
  | 'member.invite.third_party.banned'
  | 'member.invite.third_party.signed'
  | 'member.invite.third_party.mxid'
  | 'member.invite.third_party.no_invite_event'
  | 'member.invite.third_party.sender'
  | 'member.invite.third_party.signature'
  | 'member.invite.sender_not_joined'
  | 'member.invite.target_joined_or_banned'
  | 'member.invite.power'
  | 'member.leave.self'
  | 'member.leave.sender_not_joined'
  | 'member.leave.unban_power'
  | 'member.leave.kick_power'
  | 'member.ban.sender_not_joined'
  | 'member.ban.power'
  | 'member.knock.join_rule'
  | 'member.knock.sender_not_target'
  | 'member.knock.membership'
  | 'member.unknown'
  | 'sender_not_joined'
  | 'third_party_invite.power'
  | 'event_power'
  | 'state_key.user'
  | 'power_levels.invalid'
  | 'power_levels.creator_listed'
  | 'power_levels.field_power'
  | 'power_levels.events_power'
  | 'power_levels.users_power'
  | 'redaction.power';

export type AuthResult = { readonly allowed: true } | { readonly allowed: false; readonly rule: AuthRule; readonly reason: string };

export const ALLOWED: AuthResult = Object.freeze({ allowed: true });

export function rejected(rule: AuthRule, reason: string): AuthResult {
  return { allowed: false, rule, reason };
}

/** The client-facing error for a rejected local event: 403 M_FORBIDDEN. */
export function authResultToError(result: AuthResult): MatrixError | undefined {
  return result.allowed ? undefined : new MatrixError(403, ErrCode.FORBIDDEN, result.reason);
}
