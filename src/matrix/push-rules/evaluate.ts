// Push rule evaluation (spec: client-server "Push Rules"): the actions of the first enabled rule
// that matches, checking kinds in order (override, content, room, sender, underride) and each
// kind's rules in priority order. The evaluator stops at the first match.
import { conditionMatches } from './conditions';
import { globMatches } from './glob';
import { PUSH_RULE_KINDS, type PushAction, type PushContext, type PushEvent, type PushOutcome, type PushRule, type PushRuleKind, type PushRuleset } from './types';

/** Historical actions that clients and servers MUST ignore (spec: "Historical Actions"). */
const IGNORED_ACTIONS = new Set(['dont_notify', 'coalesce']);

export function withoutIgnoredActions(actions: readonly PushAction[]): PushAction[] {
  return actions.filter((a) => typeof a !== 'string' || !IGNORED_ACTIONS.has(a));
}

export function ruleMatches(kind: PushRuleKind, rule: PushRule, event: PushEvent, ctx: PushContext): boolean {
  switch (kind) {
    case 'content': {
      const body = event.content.body;
      return typeof rule.pattern === 'string' && typeof body === 'string' && globMatches(rule.pattern, body, 'words');
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((c) => conditionMatches(c, event, ctx));
  }
}

/** The first enabled rule that matches the event, with its kind; undefined when none does. */
export function firstMatch(event: PushEvent, ruleset: PushRuleset, ctx: PushContext): { kind: PushRuleKind; rule: PushRule } | undefined {
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset[kind]) {
      if (rule.enabled && ruleMatches(kind, rule, event, ctx)) return { kind, rule };
    }
  }
  return undefined;
}

/** notify / highlight / sound from a list of actions (spec: "Actions", tweaks). */
export function outcomeOf(actions: readonly PushAction[]): PushOutcome {
  const kept = withoutIgnoredActions(actions);
  const out: PushOutcome = { actions: kept, notify: false, highlight: false };
  for (const a of kept) {
    if (a === 'notify') out.notify = true;
    else if (typeof a === 'object') {
      // A highlight tweak without a value means true.
      if (a.set_tweak === 'highlight') out.highlight = a.value === undefined || a.value === true;
      else if (a.set_tweak === 'sound' && typeof a.value === 'string') out.sound = a.value;
    }
  }
  return out;
}

/** What the user's rules say about the event: the matching rule's outcome, or nothing when none matches. */
export function evaluate(event: PushEvent, ruleset: PushRuleset, ctx: PushContext): PushOutcome {
  const match = firstMatch(event, ruleset, ctx);
  return match ? outcomeOf(match.rule.actions) : { actions: [], notify: false, highlight: false };
}
