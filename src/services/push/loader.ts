// Users' push rules as a room server needs them: for every local member, on every new event.
// Each user's effective ruleset is cached with the position of their `m.push_rules` account data,
// which every rule change rewrites (after the rules are committed), and their ignore list with the
// position of `m.ignored_user_list`. One query per batch of events checks those positions for all
// members; only users whose positions moved are read again.
import type { Db } from '../../db/client';
import * as q from '../../db/queries/push';
import { buildRuleset, type PushRuleset } from '../../matrix/push-rules';
import { groupRows } from './rules';

interface Entry {
  rulesPos: number;
  ignoredPos: number;
  ruleset: PushRuleset;
  ignored: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

export class PushRulesLoader {
  #entries = new Map<string, Entry>();

  constructor(
    private readonly db: Db,
    private readonly maxUsers = 20_000,
  ) {}

  /** Brings the cached rules and ignore lists of these users up to date. */
  async load(userIds: Iterable<string>): Promise<void> {
    const users = [...new Set(userIds)];
    if (users.length === 0) return;
    const versions = await q.pushStateVersions(this.db, users);
    const rulesStale: string[] = [];
    const ignoredStale: string[] = [];
    for (const u of users) {
      const v = versions.get(u) ?? { rules: 0, ignored: 0 };
      const e = this.#entries.get(u);
      if (!e || e.rulesPos !== v.rules) rulesStale.push(u);
      if (!e || e.ignoredPos !== v.ignored) ignoredStale.push(u);
    }
    if (rulesStale.length === 0 && ignoredStale.length === 0) return;
    // Users who never changed their rules (no m.push_rules yet) have the defaults: nothing to read.
    const [rows, ignoredLists] = await Promise.all([
      q.pushRulesOf(this.db, rulesStale.filter((u) => (versions.get(u)?.rules ?? 0) > 0)),
      q.ignoredUsersOf(this.db, ignoredStale.filter((u) => (versions.get(u)?.ignored ?? 0) > 0)),
    ]);
    const own = groupRows(rows);
    for (const u of new Set([...rulesStale, ...ignoredStale])) {
      const v = versions.get(u) ?? { rules: 0, ignored: 0 };
      const old = this.#entries.get(u);
      const mine = own.get(u);
      const entry: Entry = {
        rulesPos: v.rules,
        ignoredPos: v.ignored,
        ruleset: old && old.rulesPos === v.rules ? old.ruleset : buildRuleset(u, mine?.own ?? {}, mine?.changes ?? []),
        ignored: old && old.ignoredPos === v.ignored ? old.ignored : (ignoredLists.get(u) ?? NONE),
      };
      this.#entries.delete(u);
      this.#entries.set(u, entry);
    }
    while (this.#entries.size > this.maxUsers) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The user's effective ruleset as last loaded (the defaults for a user never loaded). */
  ruleset(userId: string): PushRuleset {
    return this.#entries.get(userId)?.ruleset ?? buildRuleset(userId, {});
  }

  /** Whether the user ignores `sender` (m.ignored_user_list): ignored users never notify. */
  ignores(userId: string, sender: string): boolean {
    return this.#entries.get(userId)?.ignored.has(sender) ?? false;
  }
}
