// A user's push rules (spec: "Push Rules: API"), run by the user's Durable Object: every change goes
// through it, one at a time, so its cache of the user's rules is exact. After each change the whole
// ruleset is written as the user's `m.push_rules` account data, which /sync delivers to every
// device (spec: "Push Rules: Events").
import { ErrCode, MatrixError } from '../../matrix/errors';
import {
  buildRuleset,
  findRule,
  isPredefinedRule,
  pushRulesContent,
  PUSH_RULE_KINDS,
  type NewPushRule,
  type PredefinedChange,
  type PushAction,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from '../../matrix/push-rules';
import * as q from '../../db/queries/push';
import type { Db } from '../../db/client';
import { putAccountData } from '../account/account-data';
import type { UserScope } from '../account/scope';

/** What is stored for a user, and the ruleset it makes. */
interface UserPushRules {
  own: Record<PushRuleKind, PushRule[]>;
  changes: PredefinedChange[];
  ruleset: PushRuleset;
}

/** Where to put a rule among the user's rules of its kind (query parameters of PUT). */
export interface Placement {
  before?: string;
  after?: string;
}

const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'The push rule was not found.');

function make(userId: string, own: Record<PushRuleKind, PushRule[]>, changes: PredefinedChange[]): UserPushRules {
  return { own, changes, ruleset: buildRuleset(userId, own, changes) };
}

function emptyOwn(): Record<PushRuleKind, PushRule[]> {
  return { override: [], content: [], room: [], sender: [], underride: [] };
}

/** A stored row in client format. */
export function ruleFromRow(row: q.PushRuleRow): PushRule {
  const rule: PushRule = { rule_id: row.ruleId, default: false, enabled: row.enabled, actions: row.actions };
  if (row.kind === 'override' || row.kind === 'underride') rule.conditions = row.conditions ?? [];
  if (row.kind === 'content' && row.pattern !== null) rule.pattern = row.pattern;
  return rule;
}

/** Own rules and predefined-rule changes of several users, from stored rows. */
export function groupRows(rows: { rules: q.PushRuleRow[]; changes: q.PushRuleChangeRow[] }): Map<string, { own: Record<PushRuleKind, PushRule[]>; changes: PredefinedChange[] }> {
  const out = new Map<string, { own: Record<PushRuleKind, PushRule[]>; changes: PredefinedChange[] }>();
  const entry = (userId: string) => {
    let e = out.get(userId);
    if (!e) out.set(userId, (e = { own: emptyOwn(), changes: [] }));
    return e;
  };
  for (const row of rows.rules) {
    if ((PUSH_RULE_KINDS as readonly string[]).includes(row.kind)) entry(row.userId).own[row.kind as PushRuleKind].push(ruleFromRow(row));
  }
  for (const c of rows.changes) {
    entry(c.userId).changes.push({ kind: c.kind as PushRuleKind, ruleId: c.ruleId, enabled: c.enabled, actions: c.actions });
  }
  return out;
}

// The cache is held per UserScope (one per user object); it holds the promise of the load, so a
// load that finishes after a change never overwrites the change.
const cache = new WeakMap<UserScope, Promise<UserPushRules>>();

function stored(scope: UserScope): Promise<UserPushRules> {
  let p = cache.get(scope);
  if (!p) {
    p = q.pushRulesOf(scope.db, [scope.userId]).then((rows) => {
      const mine = groupRows(rows).get(scope.userId);
      return make(scope.userId, mine?.own ?? emptyOwn(), mine?.changes ?? []);
    });
    cache.set(scope, p);
    p.catch(() => cache.delete(scope));
  }
  return p;
}

export async function getRuleset(scope: UserScope): Promise<PushRuleset> {
  return (await stored(scope)).ruleset;
}

/**
 * Stores a change (in one transaction), then publishes the new ruleset as m.push_rules account
 * data. Returns the account-data stream position.
 */
async function commit(scope: UserScope, next: UserPushRules, write: (tx: Db) => Promise<void>): Promise<number> {
  try {
    await scope.db.transaction((tx) => write(tx));
  } catch (e) {
    cache.delete(scope);
    throw e;
  }
  cache.set(scope, Promise.resolve(next));
  return putAccountData(scope, '', 'm.push_rules', pushRulesContent(next.ruleset));
}

function withKind(own: Record<PushRuleKind, PushRule[]>, kind: PushRuleKind, rules: PushRule[]): Record<PushRuleKind, PushRule[]> {
  return { ...own, [kind]: rules };
}

/** Where `placement` puts a rule in `others` (the kind's rules without it). */
function insertionIndex(kind: PushRuleKind, others: PushRule[], placement: Placement, current: number | undefined): number {
  const anchor = placement.before ?? placement.after;
  if (anchor === undefined) return current ?? 0;
  const i = others.findIndex((r) => r.rule_id === anchor);
  if (i < 0) {
    if (isPredefinedRule(kind, anchor)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'A rule cannot be placed relative to a server-default rule');
    throw new MatrixError(400, ErrCode.NOT_FOUND, `before/after rule not found: ${anchor}`);
  }
  return placement.before !== undefined ? i : i + 1;
}

/**
 * PUT /pushrules/global/{kind}/{ruleId}: creates the rule (enabled, and most important of its kind
 * unless placed) or replaces an existing one (keeping its enabled state and, unless placed, its place).
 * With both `before` and `after`, `before` decides (spec).
 */
export async function putRule(scope: UserScope, kind: PushRuleKind, ruleId: string, input: NewPushRule, placement: Placement): Promise<number> {
  const cur = await stored(scope);
  const list = cur.own[kind];
  const at = list.findIndex((r) => r.rule_id === ruleId);
  const rule: PushRule = { rule_id: ruleId, default: false, enabled: at >= 0 ? list[at].enabled : true, actions: input.actions };
  if (input.conditions) rule.conditions = input.conditions;
  if (input.pattern !== undefined) rule.pattern = input.pattern;
  const others = list.filter((_, i) => i !== at);
  const index = insertionIndex(kind, others, placement, at >= 0 ? at : undefined);
  const rules = [...others.slice(0, index), rule, ...others.slice(index)];
  const next = make(scope.userId, withKind(cur.own, kind, rules), cur.changes);
  return commit(scope, next, async (tx) => {
    await q.upsertPushRule(tx, {
      userId: scope.userId,
      kind,
      ruleId,
      position: index,
      conditions: rule.conditions ?? null,
      actions: rule.actions,
      pattern: rule.pattern ?? null,
      enabled: rule.enabled,
    });
    await q.setPushRulePositions(tx, scope.userId, kind, rules.map((r, i): [string, number] => [r.rule_id, i]));
  });
}

/** DELETE: user rules only; predefined rules can only be disabled. */
export async function deleteRule(scope: UserScope, kind: PushRuleKind, ruleId: string): Promise<number> {
  if (isPredefinedRule(kind, ruleId)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Server-default rules cannot be deleted');
  const cur = await stored(scope);
  if (!cur.own[kind].some((r) => r.rule_id === ruleId)) throw notFound();
  const next = make(scope.userId, withKind(cur.own, kind, cur.own[kind].filter((r) => r.rule_id !== ruleId)), cur.changes);
  return commit(scope, next, (tx) => q.deletePushRule(tx, scope.userId, kind, ruleId));
}

/** PUT …/enabled and …/actions, for user rules and predefined rules alike. */
export async function setRuleAttribute(scope: UserScope, kind: PushRuleKind, ruleId: string, set: { enabled: boolean } | { actions: PushAction[] }): Promise<number> {
  const cur = await stored(scope);
  if (isPredefinedRule(kind, ruleId)) {
    const old = cur.changes.find((c) => c.kind === kind && c.ruleId === ruleId);
    const change: PredefinedChange = { kind, ruleId, enabled: old?.enabled ?? null, actions: old?.actions ?? null, ...set };
    const next = make(scope.userId, cur.own, [...cur.changes.filter((c) => c !== old), change]);
    return commit(scope, next, (tx) => q.changePredefinedRule(tx, scope.userId, kind, ruleId, set));
  }
  if (!cur.own[kind].some((r) => r.rule_id === ruleId)) throw notFound();
  const rules = cur.own[kind].map((r) => (r.rule_id === ruleId ? { ...r, ...set } : r));
  const next = make(scope.userId, withKind(cur.own, kind, rules), cur.changes);
  return commit(scope, next, (tx) => q.updatePushRule(tx, scope.userId, kind, ruleId, set));
}

/** One rule of the user's ruleset, or M_NOT_FOUND. */
export function ruleIn(ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): PushRule {
  const rule = findRule(ruleset, kind, ruleId);
  if (!rule) throw notFound();
  return rule;
}

/** m.push_rules for a user who never changed their rules (initial /sync without the account data). */
export function defaultPushRulesContent(userId: string): { global: PushRuleset } {
  return pushRulesContent(buildRuleset(userId, {}));
}
