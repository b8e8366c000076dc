// A user's effective ruleset: the predefined rules with the user's enabled/actions changes, and
// the user's own rules, which rank above the predefined rules of their kind except `.m.rule.master`,
// which ranks above everything (spec: "Predefined Rules").
import { MASTER_RULE_ID, defaultRules } from './defaults';
import { PUSH_RULE_KINDS, type PushAction, type PushRule, type PushRuleKind, type PushRuleset } from './types';

/** The user's changes to one predefined rule. */
export interface PredefinedChange {
  kind: PushRuleKind;
  ruleId: string;
  enabled?: boolean | null;
  actions?: PushAction[] | null;
}

/** The user's own rules of each kind, most important first (`default: false`). */
export type UserRules = Partial<Record<PushRuleKind, PushRule[]>>;

export function buildRuleset(userId: string, own: UserRules, changes: readonly PredefinedChange[] = []): PushRuleset {
  const changed = new Map(changes.map((c) => [`${c.kind}\u0000${c.ruleId}`, c]));
  const out = {} as PushRuleset;
  for (const kind of PUSH_RULE_KINDS) {
    const defaults = defaultRules(kind, userId).map((rule) => {
      const c = changed.get(`${kind}\u0000${rule.rule_id}`);
      if (typeof c?.enabled === 'boolean') rule.enabled = c.enabled;
      if (c?.actions) rule.actions = c.actions;
      return rule;
    });
    const mine = own[kind] ?? [];
    const master = kind === 'override' ? defaults.filter((r) => r.rule_id === MASTER_RULE_ID) : [];
    out[kind] = [...master, ...mine, ...defaults.filter((r) => r.rule_id !== MASTER_RULE_ID)];
  }
  return out;
}

/** The content of the user's `m.push_rules` account data (spec: m.push_rules). */
export function pushRulesContent(ruleset: PushRuleset): { global: PushRuleset } {
  return { global: ruleset };
}

export function findRule(ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): PushRule | undefined {
  return ruleset[kind].find((r) => r.rule_id === ruleId);
}
