// The shapes of the push rules module (spec: client-server "Push Rules", definitions/push_rule.yaml,
// push_condition.yaml, push_ruleset.yaml), declared once.

/** Rule kinds in the order they are checked. */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export function isPushRuleKind(s: string): s is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(s);
}

/** A condition as stored and served; unknown kinds are kept (they never match). */
export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: unknown;
  [extra: string]: unknown;
}

/** `"notify"`, or a tweak such as `{"set_tweak": "sound", "value": "default"}`. */
export type PushAction = string | { set_tweak: string; value?: unknown; [extra: string]: unknown };

/** A rule in client format (spec PushRule). */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** override and underride rules. */
  conditions?: PushCondition[];
  /** content rules. */
  pattern?: string;
}

/** The global ruleset: each kind's rules in priority order (what m.push_rules holds under `global`). */
export type PushRuleset = Record<PushRuleKind, PushRule[]>;

/** A non-compound canonical JSON value (event_property_is / event_property_contains). */
export type PushScalar = string | number | boolean | null;

/** The event as push rules see it: the client format, with `room_id` (any other field may be matched too). */
export interface PushEvent {
  type: string;
  sender: string;
  room_id: string;
  content: Record<string, unknown>;
  state_key?: string;
  event_id?: string;
}

/** What a push rule evaluation needs to know besides the event and the ruleset. */
export interface PushContext {
  /** The user the rules belong to. */
  userId: string;
  /** The user's display name in the room (contains_display_name), if any. */
  displayName: string | null;
  /** Joined members of the room. */
  memberCount: number;
  senderPowerLevel: number;
  /** The room's `notifications` power levels; keys not listed need 50. */
  notificationPowerLevels: Readonly<Record<string, number>>;
}

/** What the actions of the matching rule ask for. */
export interface PushOutcome {
  actions: PushAction[];
  notify: boolean;
  highlight: boolean;
  /** The `sound` tweak, when set. */
  sound?: string;
}
