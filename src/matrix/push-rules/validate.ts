// Checks of what clients send to the push rules API (spec: client-server "Push Rules: API",
// push_condition.yaml). Shapes are checked where the spec defines them; conditions of unknown kinds
// are accepted as they are (they never match).
import { ErrCode, MatrixError, badJson } from '../errors';
import { isValidRoomId, isValidUserId } from '../ids';
import { isPushScalar } from './conditions';
import { withoutIgnoredActions } from './evaluate';
import type { PushAction, PushCondition, PushRuleKind } from './types';

/** A rule as a client defines it; `pattern` for content rules, `conditions` for override and underride. */
export interface NewPushRule {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

const KNOWN_ACTIONS = new Set(['notify', 'dont_notify', 'coalesce']);
const MEMBER_COUNT = /^(==|<=|>=|<|>)?[0-9]+$/;

const missing = (what: string) => new MatrixError(400, ErrCode.MISSING_PARAM, `Missing '${what}'`);
const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Postgres cannot store U+0000 in text or jsonb, so no part of a rule may hold one. */
export function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(hasNul);
  if (isObject(v)) return Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x));
  return false;
}

/**
 * A rule id a client may create: not reserved for server-default rules (a leading dot), no slashes
 * or backslashes; room rules are named by a room ID and sender rules by a user ID.
 */
export function checkNewRuleId(kind: PushRuleKind, ruleId: string): void {
  if (ruleId.startsWith('.')) throw invalid('Rule IDs starting with a dot are reserved for server-default rules');
  if (/[/\\\u0000]/.test(ruleId)) throw invalid('Rule IDs may not contain slashes, backslashes or NUL');
  if (kind === 'room' && !isValidRoomId(ruleId)) throw invalid('The rule ID of a room rule must be a room ID');
  if (kind === 'sender' && !isValidUserId(ruleId)) throw invalid('The rule ID of a sender rule must be a user ID');
}

export function parseActions(v: unknown): PushAction[] {
  if (v === undefined) throw missing('actions');
  if (!Array.isArray(v)) throw badJson("'actions' must be an array");
  for (const a of v) {
    if (typeof a === 'string') {
      if (!KNOWN_ACTIONS.has(a)) throw invalid(`Unrecognised action: ${a}`);
    } else if (!isObject(a) || typeof a.set_tweak !== 'string') {
      throw badJson("Each action must be a string or an object with a string 'set_tweak'");
    }
  }
  if (hasNul(v)) throw badJson('Actions may not contain NUL characters');
  // The historical dont_notify and coalesce are accepted and dropped (spec: "Historical Actions").
  return withoutIgnoredActions(v as PushAction[]);
}

function checkCondition(c: unknown): PushCondition {
  if (!isObject(c)) throw badJson('Each condition must be an object');
  if (typeof c.kind !== 'string') throw badJson("Each condition needs a string 'kind'");
  const needKey = () => {
    if (typeof c.key !== 'string') throw badJson(`A ${c.kind} condition needs a string 'key'`);
  };
  switch (c.kind) {
    case 'event_match':
      needKey();
      if (typeof c.pattern !== 'string') throw badJson("An event_match condition needs a string 'pattern'");
      break;
    case 'event_property_is':
    case 'event_property_contains':
      needKey();
      if (!('value' in c) || !isPushScalar(c.value)) throw badJson(`A ${c.kind} condition needs a 'value' that is a string, integer, boolean or null`);
      break;
    case 'room_member_count':
      if (typeof c.is !== 'string' || !MEMBER_COUNT.test(c.is)) throw badJson("A room_member_count condition needs 'is': an integer, optionally prefixed by ==, <, >, <= or >=");
      break;
    case 'sender_notification_permission':
      needKey();
      break;
  }
  return c as PushCondition;
}

/** The body of PUT /pushrules/global/{kind}/{ruleId}. */
export function parseNewRule(kind: PushRuleKind, body: Record<string, unknown>): NewPushRule {
  const rule: NewPushRule = { actions: parseActions(body.actions) };
  if (kind === 'override' || kind === 'underride') {
    // A rule without conditions always matches (spec: "Conditions").
    const conditions = body.conditions ?? [];
    if (!Array.isArray(conditions)) throw badJson("'conditions' must be an array");
    rule.conditions = conditions.map(checkCondition);
    if (hasNul(rule.conditions)) throw badJson('Conditions may not contain NUL characters');
  } else if (kind === 'content') {
    if (body.pattern === undefined) throw missing('pattern');
    if (typeof body.pattern !== 'string') throw badJson("'pattern' must be a string");
    if (hasNul(body.pattern)) throw badJson("'pattern' may not contain NUL characters");
    rule.pattern = body.pattern;
  }
  return rule;
}

/** The body of PUT …/enabled. */
export function parseEnabled(body: Record<string, unknown>): boolean {
  if (body.enabled === undefined) throw missing('enabled');
  if (typeof body.enabled !== 'boolean') throw badJson("'enabled' must be a boolean");
  return body.enabled;
}
