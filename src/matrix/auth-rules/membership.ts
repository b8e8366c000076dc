// Auth rule 5 (rule 4 from v6 on): `m.room.member` events, per room version.

import { serverNameOf } from '../ids';
import { prevEventIds } from '../pdu';
import type { RoomVersion } from '../room-versions';
import type { JsonObject, RoomEvent } from '../types';
import { ALLOWED, type AuthResult, rejected } from './result';
import { type AuthState, joinRuleIn, membershipIn, powerLevelsIn, stateEvent } from './state';
import { thirdPartyInvitePublicKeys, verifyThirdPartySigned } from './third-party-invite';

export interface MembershipAuthOptions {
  /**
   * Whether the event carries a valid signature of a server (rule "join_authorised_via_users_server").
   * Signatures are verified cryptographically on receipt (see requiredSignatureServers); by
   * default this checks that the server's signature is present.
   */
  isSignedBy?: (serverName: string) => boolean;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The creator for the "creator's first join" rule: content.creator before v11, sender from v11. */
function creatorOf(create: RoomEvent, version: RoomVersion): unknown {
  return version.implicitRoomCreator ? create.pdu.sender : create.pdu.content.creator;
}

export function checkMemberEvent(
  version: RoomVersion,
  event: RoomEvent,
  state: AuthState,
  options: MembershipAuthOptions = {},
): AuthResult {
  const { pdu } = event;
  const target = pdu.state_key;
  if (typeof target !== 'string') return rejected('member.state_key', 'member event has no state_key');
  if (!('membership' in pdu.content)) return rejected('member.membership', 'member event has no membership');
  const membership = pdu.content.membership;

  const via = pdu.content.join_authorised_via_users_server;
  if (version.restrictedJoins && via !== undefined) {
    const server = typeof via === 'string' ? serverNameOf(via) : undefined;
    const signedBy = options.isSignedBy ?? ((s: string) => isObject(pdu.signatures) && isObject(pdu.signatures[s]));
    if (server === undefined || !signedBy(server)) {
      return rejected('member.authorised_via_signature', 'not signed by the server of join_authorised_via_users_server');
    }
  }

  const sender = pdu.sender;
  const senderMembership = membershipIn(state, sender);
  const targetMembership = membershipIn(state, target);
  const pl = powerLevelsIn(state, version);
  const senderLevel = pl.userLevel(sender);

  switch (membership) {
    case 'join': {
      const create = stateEvent(state, 'm.room.create', '');
      const prev = prevEventIds(pdu);
      if (create && prev.length === 1 && prev[0] === create.eventId && creatorOf(create, version) === target) {
        return ALLOWED; // the creator's first join
      }
      if (sender !== target) return rejected('member.join.sender_not_target', 'cannot join on behalf of another user');
      if (senderMembership === 'ban') return rejected('member.join.banned', 'sender is banned');
      const rule = joinRuleIn(state);
      if (rule === 'invite' || (version.knocking && rule === 'knock')) {
        if (senderMembership === 'invite' || senderMembership === 'join') return ALLOWED;
      } else if ((version.restrictedJoins && rule === 'restricted') || (version.knockRestricted && rule === 'knock_restricted')) {
        if (senderMembership === 'invite' || senderMembership === 'join') return ALLOWED;
        if (typeof via !== 'string' || membershipIn(state, via) !== 'join' || !pl.canInvite(via)) {
          return rejected('member.join.restricted_authoriser', 'join_authorised_via_users_server is not a joined user able to invite');
        }
        return ALLOWED;
      } else if (rule === 'public') {
        return ALLOWED;
      }
      return rejected('member.join.not_allowed', `join rule ${rule} does not allow this join`);
    }

    case 'invite': {
      if ('third_party_invite' in pdu.content) {
        if (targetMembership === 'ban') return rejected('member.invite.third_party.banned', 'target is banned');
        const tpi = pdu.content.third_party_invite;
        const signed = isObject(tpi) ? tpi.signed : undefined;
        if (!isObject(signed)) return rejected('member.invite.third_party.signed', 'third_party_invite has no signed object');
        if (!('mxid' in signed) || !('token' in signed)) {
          return rejected('member.invite.third_party.signed', 'signed lacks mxid or token');
        }
        if (signed.mxid !== target) return rejected('member.invite.third_party.mxid', 'signed.mxid does not match state_key');
        const invite = typeof signed.token === 'string' ? stateEvent(state, 'm.room.third_party_invite', signed.token) : undefined;
        if (!invite) return rejected('member.invite.third_party.no_invite_event', 'no m.room.third_party_invite for this token');
        if (invite.pdu.sender !== sender) return rejected('member.invite.third_party.sender', 'sender did not send the third-party invite');
        if (verifyThirdPartySigned(signed, thirdPartyInvitePublicKeys(invite.pdu.content))) return ALLOWED;
        return rejected('member.invite.third_party.signature', 'no valid signature from the invite public keys');
      }
      if (senderMembership !== 'join') return rejected('member.invite.sender_not_joined', 'sender is not joined');
      if (targetMembership === 'join' || targetMembership === 'ban') {
        return rejected('member.invite.target_joined_or_banned', `target is already ${targetMembership}`);
      }
      if (pl.canInvite(sender)) return ALLOWED;
      return rejected('member.invite.power', 'sender is below the invite level');
    }

    case 'leave': {
      if (sender === target) {
        const ok = senderMembership === 'invite' || senderMembership === 'join' || (version.knocking && senderMembership === 'knock');
        return ok ? ALLOWED : rejected('member.leave.self', `cannot leave from membership ${senderMembership ?? 'none'}`);
      }
      if (senderMembership !== 'join') return rejected('member.leave.sender_not_joined', 'sender is not joined');
      if (targetMembership === 'ban' && senderLevel < pl.level('ban')) {
        return rejected('member.leave.unban_power', 'sender is below the ban level');
      }
      if (senderLevel >= pl.level('kick') && pl.userLevel(target) < senderLevel) return ALLOWED;
      return rejected('member.leave.kick_power', 'sender is below the kick level or not above the target');
    }

    case 'ban': {
      if (senderMembership !== 'join') return rejected('member.ban.sender_not_joined', 'sender is not joined');
      if (pl.canBan(sender, target)) return ALLOWED;
      return rejected('member.ban.power', 'sender is below the ban level or not above the target');
    }

    case 'knock': {
      if (!version.knocking) break;
      const rule = joinRuleIn(state);
      if (rule !== 'knock' && !(version.knockRestricted && rule === 'knock_restricted')) {
        return rejected('member.knock.join_rule', `join rule ${rule} does not allow knocking`);
      }
      if (sender !== target) return rejected('member.knock.sender_not_target', 'cannot knock on behalf of another user');
      if (senderMembership !== 'ban' && senderMembership !== 'invite' && senderMembership !== 'join') return ALLOWED;
      return rejected('member.knock.membership', `cannot knock from membership ${senderMembership}`);
    }
  }
  return rejected('member.unknown', `unknown membership ${JSON.stringify(membership)}`);
}
