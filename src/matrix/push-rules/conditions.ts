// Push rule conditions (spec: client-server "Conditions"). A condition of an unknown kind, or a
// known kind with missing or malformed parameters, never matches.
import { containsWords, globMatches } from './glob';
import { propertyAt } from './property-path';
import type { PushCondition, PushContext, PushEvent, PushScalar } from './types';

/** The level needed for a notification key the power levels do not list (spec: m.room.power_levels). */
export const DEFAULT_NOTIFICATION_LEVEL = 50;

/** Strings, booleans, null and integers in [-(2^53)+1, (2^53)-1]: the values these conditions compare. */
export function isPushScalar(v: unknown): v is PushScalar {
  return typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isSafeInteger(v));
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/;

export function memberCountMatches(is: unknown, count: number): boolean {
  if (typeof is !== 'string') return false;
  const m = MEMBER_COUNT.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1] ?? '==') {
    case '==':
      return count === n;
    case '<':
      return count < n;
    case '>':
      return count > n;
    case '<=':
      return count <= n;
    default:
      return count >= n;
  }
}

export function conditionMatches(c: PushCondition, event: PushEvent, ctx: PushContext): boolean {
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return false;
      const value = propertyAt(event, c.key);
      return typeof value === 'string' && globMatches(c.pattern, value, c.key === 'content.body' ? 'words' : 'whole');
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isPushScalar(c.value)) return false;
      const value = propertyAt(event, c.key);
      return isPushScalar(value) && value === c.value;
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isPushScalar(c.value)) return false;
      const value = propertyAt(event, c.key);
      return Array.isArray(value) && value.some((v) => isPushScalar(v) && v === c.value);
    }
    case 'contains_display_name': {
      const body = event.content.body;
      return typeof body === 'string' && !!ctx.displayName && containsWords(body, ctx.displayName);
    }
    case 'room_member_count':
      return memberCountMatches(c.is, ctx.memberCount);
    case 'sender_notification_permission': {
      if (typeof c.key !== 'string') return false;
      const levels = ctx.notificationPowerLevels;
      const required = Object.hasOwn(levels, c.key) ? levels[c.key] : DEFAULT_NOTIFICATION_LEVEL;
      return ctx.senderPowerLevel >= required;
    }
    default:
      return false;
  }
}
