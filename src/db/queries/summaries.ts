// Room summaries straight from the current state: one statement for many rooms, for the published
// directory, the space hierarchy and /room_summary. Each state field is read as the raw JSON text of
// its value and parsed here: Postgres cannot turn every JSON string into text (\u0000, lone
// surrogates), and a room with such a name must not break the whole directory.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { events, roomMemberships, roomState, rooms } from '../schema';
import type { SummaryState } from '../../matrix/room-summary';
import type { JsonObject } from '../../matrix/types';

/** Summary field → (state event type, content key). */
const FIELDS = {
  room_type: ['m.room.create', 'type'],
  join_rule: ['m.room.join_rules', 'join_rule'],
  allow: ['m.room.join_rules', 'allow'],
  history_visibility: ['m.room.history_visibility', 'history_visibility'],
  guest_access: ['m.room.guest_access', 'guest_access'],
  name: ['m.room.name', 'name'],
  topic: ['m.room.topic', 'topic'],
  avatar: ['m.room.avatar', 'url'],
  alias: ['m.room.canonical_alias', 'alias'],
  encryption: ['m.room.encryption', 'algorithm'],
} as const;
type Field = keyof typeof FIELDS;

function field(name: Field): SQL {
  const [type, key] = FIELDS[name];
  return sql`(select (e.json::json -> 'content' -> ${key}::text)::text from ${roomState} s join ${events} e on e.event_id = s.event_id
    where s.room_id = r.room_id and s.type = ${type} and s.state_key = '') as ${sql.identifier(name)}`;
}

/** The select list of a summary row over `rooms r`. */
function summaryColumns(userId: string | undefined): SQL {
  const membership = userId === undefined
    ? sql`null::text as membership`
    : sql`(select m.membership from ${roomMemberships} m where m.room_id = r.room_id and m.user_id = ${userId}) as membership`;
  return sql.join(
    [
      sql`r.room_id, r.version, r.published`,
      sql`(select count(*) from ${roomMemberships} m where m.room_id = r.room_id and m.membership = 'join')::int as joined`,
      membership,
      ...(Object.keys(FIELDS) as Field[]).map(field),
    ],
    sql`, `,
  );
}

type RawRow = { room_id: string; version: string; published: boolean; joined: number; membership: string | null } & Record<Field, string | null>;

export interface SummaryRow {
  roomId: string;
  version: string;
  published: boolean;
  joined: number;
  /** The requester's current membership, when a requester was given. */
  membership?: string;
  state: SummaryState;
}

function parse(raw: string | null): unknown {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function toRow(r: RawRow): SummaryRow {
  const content = (...entries: [string, Field][]): JsonObject | undefined => {
    const out: JsonObject = {};
    let any = false;
    for (const [key, f] of entries) {
      const v = parse(r[f]);
      if (v !== undefined) {
        out[key] = v;
        any = true;
      }
    }
    return any ? out : undefined;
  };
  return {
    roomId: r.room_id,
    version: r.version,
    published: r.published,
    joined: Number(r.joined),
    membership: r.membership ?? undefined,
    state: {
      create: content(['type', 'room_type']),
      joinRules: content(['join_rule', 'join_rule'], ['allow', 'allow']),
      historyVisibility: content(['history_visibility', 'history_visibility']),
      guestAccess: content(['guest_access', 'guest_access']),
      name: content(['name', 'name']),
      topic: content(['topic', 'topic']),
      avatar: content(['url', 'avatar']),
      canonicalAlias: content(['alias', 'alias']),
      encryption: content(['algorithm', 'encryption']),
    },
  };
}

/** Summaries of the given rooms that exist here, with the requester's membership in each. */
export async function summaryRows(db: Db, roomIds: string[], userId?: string): Promise<Map<string, SummaryRow>> {
  if (roomIds.length === 0) return new Map();
  const r = (await db.execute(sql`select ${summaryColumns(userId)} from ${rooms} r where r.room_id = any(${sql.param(roomIds)}::text[])`)) as unknown as {
    rows: RawRow[];
  };
  return new Map(r.rows.map((x) => [x.room_id, toRow(x)]));
}

export interface PublicRoomsQuery {
  /** Lower-case substring of the name, topic or canonical alias. */
  searchTerm?: string;
  /** Room types to keep; null stands for rooms without a type. */
  roomTypes?: (string | null)[];
  /** Keyset bound: rooms strictly after (forwards) or before (backwards) this one. */
  bound?: { joined: number; roomId: string; forwards: boolean };
  limit: number;
}

/** `\`, `%` and `_` escaped for LIKE ... ESCAPE '\'. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Published rooms that are worth listing (joinable without an invite, or world-readable, and with
 * members), biggest first then by room id as Synapse orders them (nearest the bound first when
 * paging backwards), and how many match in all.
 */
export async function publicRoomRows(db: Db, q: PublicRoomsQuery): Promise<{ rows: SummaryRow[]; total: number }> {
  const conds: SQL[] = [
    sql`joined > 0`,
    sql`(join_rule in ('"public"', '"knock"', '"knock_restricted"') or history_visibility = '"world_readable"')`,
  ];
  if (q.searchTerm) {
    // The values are raw JSON text: match against the term as JSON would escape it.
    const pattern = `%${likeEscape(JSON.stringify(q.searchTerm.toLowerCase()).slice(1, -1))}%`;
    conds.push(sql`(lower(name) like ${pattern} escape '\\' or lower(topic) like ${pattern} escape '\\' or lower(alias) like ${pattern} escape '\\')`);
  }
  if (q.roomTypes) {
    const types = q.roomTypes.filter((t): t is string => t !== null).map((t) => JSON.stringify(t));
    const typed = sql`case when left(room_type, 1) = '"' then room_type end`;
    const alternatives: SQL[] = [];
    if (types.length) alternatives.push(sql`${typed} = any(${sql.param(types)}::text[])`);
    if (q.roomTypes.includes(null)) alternatives.push(sql`${typed} is null`);
    conds.push(alternatives.length ? sql`(${sql.join(alternatives, sql` or `)})` : sql`false`);
  }
  const filtered = sql`select p.*, count(*) over () as total from (select ${summaryColumns(undefined)} from ${rooms} r where r.published) p
    where ${sql.join(conds, sql` and `)}`;
  const b = q.bound;
  const keyset = b === undefined
    ? sql`true`
    : b.forwards
      ? sql`(joined < ${b.joined} or (joined = ${b.joined} and room_id < ${b.roomId}))`
      : sql`(joined > ${b.joined} or (joined = ${b.joined} and room_id > ${b.roomId}))`;
  const dir = b && !b.forwards ? sql`asc` : sql`desc`;
  const r = (await db.execute(sql`with f as (${filtered}) select * from f where ${keyset} order by joined ${dir}, room_id ${dir} limit ${q.limit}`)) as unknown as {
    rows: (RawRow & { total: string })[];
  };
  let total: number;
  if (r.rows.length) total = Number(r.rows[0].total);
  else {
    const c = (await db.execute(sql`with f as (${filtered}) select count(*)::int as n from f`)) as unknown as { rows: { n: number }[] };
    total = Number(c.rows[0].n);
  }
  return { rows: r.rows.map(toRow), total };
}
