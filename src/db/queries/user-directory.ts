// Queries over the user directory. Visibility is decided here, at query time, from the current
// memberships: users who share a joined room with the searcher, users joined to a public room (join
// rule `public` or history `world_readable`, as the spec lists them), and, when the server is
// configured so, every local user. Nothing to keep in step when memberships or room state change.
import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { userDirectory } from '../schema';

/** Text as it goes into the index: already normalised (services/directory/terms.ts). */
export interface DirectoryEntryText {
  userId: string;
  displayName: string | null;
  avatarUrl: string | null;
  localpart: string;
  /** The localpart split into words ("alice.smith" → "alice smith"). */
  localpartWords: string;
  normalizedDisplayName: string | null;
  serverName: string;
}

const tsv = (text: string | null) => sql`to_tsvector('user_directory', ${text ?? ''})`;

export async function upsertDirectoryEntry(db: Db, e: DirectoryEntryText): Promise<void> {
  // Weights as Synapse's: the localpart counts most (A), then the display name (B), the server least (D).
  const vector = sql`setweight(${tsv(e.localpart)} || ${tsv(e.localpartWords)}, 'A')
    || setweight(${tsv(e.normalizedDisplayName)}, 'B') || setweight(${tsv(e.serverName)}, 'D')`;
  const row = { displayName: e.displayName, avatarUrl: e.avatarUrl, vector };
  await db.insert(userDirectory).values({ userId: e.userId, ...row }).onConflictDoUpdate({ target: userDirectory.userId, set: row });
}

export async function deleteDirectoryEntry(db: Db, userId: string): Promise<void> {
  await db.delete(userDirectory).where(eq(userDirectory.userId, userId));
}

/**
 * A state event that makes its room public for the directory (src/db/sql/user_directory.sql). Written
 * exactly as the predicate of the partial index events_public_state, so that Postgres finds the
 * public rooms through that small index instead of reading every event.
 */
const PUBLIC_STATE_EVENT = sql.raw(`e.type in ('m.room.join_rules', 'm.room.history_visibility') and user_directory_public_state(e.type, e.json)`);

/**
 * Matches considered at most, before visibility and ranking (Synapse's bound too): a term of one or
 * two letters can match every user, and ranking them all would cost more than a keystroke is worth.
 */
const MAX_CANDIDATES = 10_000;

export interface DirectorySearch {
  searcher: string;
  /** tsquery texts: `prefix` decides what matches, `exact` ranks whole-word matches higher. */
  prefix: string;
  exact: string;
  /** Rows to return: one more than the client asked for tells whether the list was cut. */
  rows: number;
  /** Every local user is visible (USER_DIRECTORY_SEARCH_ALL). */
  allLocal: boolean;
}

export interface DirectoryHit {
  userId: string;
  displayName: string | null;
  avatarUrl: string | null;
}

/** The search statement (exported for scripts/bench/user-directory.ts, which explains it). */
export function directorySearchSql(q: DirectorySearch): SQL {
  return sql`
    select d.user_id, d.display_name, d.avatar_url
    from (select * from user_directory where vector @@ to_tsquery('user_directory', ${q.prefix}) limit ${MAX_CANDIDATES}) d
    left join users u on u.user_id = d.user_id
    -- Per candidate, the first of their joined rooms that the searcher is also joined to, or that is
    -- public. The lateral subquery runs per candidate, so the cost follows the (bounded) candidates;
    -- the two room sets it probes are small and collected once (hashed).
    left join lateral (
      select true as visible from room_memberships theirs
      where not ${q.allLocal}::boolean and theirs.user_id = d.user_id and theirs.membership = 'join'
        and (theirs.room_id in (select mine.room_id from room_memberships mine where mine.user_id = ${q.searcher} and mine.membership = 'join')
          or theirs.room_id in (
            select e.room_id from events e
            join room_state s on s.room_id = e.room_id and s.type = e.type and s.state_key = '' and s.event_id = e.event_id
            where ${PUBLIC_STATE_EVENT}))
      limit 1) r on true
    where d.user_id <> ${q.searcher}
      and not coalesce(u.deactivated or u.is_guest, false)
      and ((${q.allLocal}::boolean and u.user_id is not null) or r.visible)
    order by
      (case when d.display_name is not null then 1.2 else 1.0 end)
      * (case when d.avatar_url is not null then 1.2 else 1.0 end)
      * (3 * ts_rank_cd('{0.1, 0.1, 0.9, 1.0}', d.vector, to_tsquery('user_directory', ${q.exact}), 8)
         + ts_rank_cd('{0.1, 0.1, 0.9, 1.0}', d.vector, to_tsquery('user_directory', ${q.prefix}), 8)) desc,
      d.display_name is null, d.avatar_url is null, d.user_id
    limit ${q.rows}`;
}

export async function searchDirectory(db: Db, q: DirectorySearch): Promise<DirectoryHit[]> {
  const r = (await db.execute(directorySearchSql(q))) as unknown as { rows: { user_id: string; display_name: string | null; avatar_url: string | null }[] };
  return r.rows.map((x) => ({ userId: x.user_id, displayName: x.display_name, avatarUrl: x.avatar_url }));
}
