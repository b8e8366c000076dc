// Server-side search of room events (spec: client-server "Server Side Search", POST /search):
// the user's joined rooms (and, when the filter names rooms, their predecessors the user is still
// in), matched by Postgres full-text search, each result checked against history visibility.
import type { Db } from '../../db/client';
import { countHits, highlightWords, searchableText, searchHits, SEARCH_KEYS, type SearchCursor, type SearchHit, type SearchKey, type SearchQuery } from '../../db/queries/search';
import { getEvents, roomsOfUser, stateKeysAtGroups, timeline, type StoredEvent } from '../../db/queries/rooms';
import { currentState } from '../../db/queries/room-state';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { matchesFilter, type EventFilterSpec } from '../../matrix/event-filter';
import { stateKey } from '../../matrix/state-map';
import type { ClientEvent } from '../../matrix/types';
import { positionToken, visibleTo } from './read';
import { serveEvents, type Viewer } from './serve';
import { loadSnapshot, type RoomSnapshot } from './snapshot';
import { base64UrlDecodeJson, base64UrlEncodeJson } from './tokens';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
/** Up to this many matches, `count` is exact (visibility checked); beyond, it counts raw matches. */
const EXACT_COUNT_UP_TO = 500;
/** Rounds of fetching matches to fill one page when visibility hides many. */
const MAX_ROUNDS = 5;
const MAX_CONTEXT = 20;
const MAX_PREDECESSORS = 10;

export type GroupKey = 'room_id' | 'sender';

export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[];
  filter?: EventFilterSpec;
  order_by?: 'rank' | 'recent';
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by?: { key: GroupKey }[] };
}

interface Profile {
  displayname?: string;
  avatar_url?: string;
}

interface EventContext {
  start: string;
  end: string;
  events_before: ClientEvent[];
  events_after: ClientEvent[];
  profile_info?: Record<string, Profile>;
}

interface Result {
  rank: number;
  result: ClientEvent;
  context?: EventContext;
}

interface Group {
  results: string[];
  order: number;
  next_batch?: string;
}

export interface RoomEventsResults {
  count: number;
  highlights: string[];
  results: Result[];
  state?: Record<string, ClientEvent[]>;
  groups?: Partial<Record<GroupKey, Record<string, Group>>>;
  next_batch?: string;
}

/** A next_batch token: the order it belongs to, where to go on, the count, and the group it is limited to. */
interface Token {
  o: 'rank' | 'recent';
  c: SearchCursor;
  n: number;
  g?: [GroupKey, string];
}

function readToken(raw: string, order: 'rank' | 'recent'): Token {
  const t = base64UrlDecodeJson(raw) as Partial<Token> | null;
  const c = t?.c as Partial<SearchCursor> | undefined;
  const valid =
    typeof t === 'object' && t !== null && t.o === order && Number.isSafeInteger(t.n) &&
    typeof c === 'object' && c !== null && typeof c.rank === 'number' && Number.isSafeInteger(c.ts) && typeof c.eventId === 'string' &&
    (t.g === undefined || (Array.isArray(t.g) && (t.g[0] === 'room_id' || t.g[0] === 'sender') && typeof t.g[1] === 'string'));
  if (!valid) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid next_batch token (or a token of another order_by)');
  return t as Token;
}

const cursorOf = (h: SearchHit): SearchCursor => ({ rank: h.rank, ts: h.ts, eventId: h.eventId });

/** Rooms replaced by these through upgrades (create event `predecessor`), as far back as known. */
async function predecessors(db: Db, roomIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (let room of roomIds) {
    for (let hops = 0; hops < MAX_PREDECESSORS; hops++) {
      const [create] = await currentState(db, room, { keys: [['m.room.create', '']] });
      const previous = (create?.pdu.content.predecessor as { room_id?: unknown } | undefined)?.room_id;
      if (typeof previous !== 'string' || out.includes(previous) || roomIds.includes(previous)) break;
      out.push(previous);
      room = previous;
    }
  }
  return out;
}

export class RoomSearch {
  readonly #snapshots = new Map<string, Promise<RoomSnapshot | undefined>>();

  constructor(
    private readonly db: Db,
    private readonly viewer: Viewer,
  ) {}

  /** What visibility needs of a room: its version, the viewer's membership, the history visibility. */
  #snapshot(roomId: string): Promise<RoomSnapshot | undefined> {
    let s = this.#snapshots.get(roomId);
    if (!s) {
      s = loadSnapshot(this.db, roomId, { keys: [['m.room.member', this.viewer.userId], ['m.room.history_visibility', '']] });
      this.#snapshots.set(roomId, s);
    }
    return s;
  }

  /** The events the viewer may see, in the given order. */
  async #visible(list: StoredEvent[]): Promise<StoredEvent[]> {
    const byRoom = new Map<string, StoredEvent[]>();
    for (const e of list) byRoom.set(e.roomId, [...(byRoom.get(e.roomId) ?? []), e]);
    const keep = new Set<string>();
    await Promise.all(
      [...byRoom].map(async ([roomId, events]) => {
        const snapshot = await this.#snapshot(roomId);
        if (!snapshot) return;
        for (const e of await visibleTo(this.db, snapshot.model(), this.viewer.userId, events)) keep.add(e.eventId);
      }),
    );
    return list.filter((e) => keep.has(e.eventId));
  }

  async #serve(list: StoredEvent[]): Promise<ClientEvent[]> {
    const served = new Map<string, ClientEvent>();
    const rooms = [...new Set(list.map((e) => e.roomId))];
    await Promise.all(
      rooms.map(async (roomId) => {
        const snapshot = await this.#snapshot(roomId);
        if (!snapshot) return;
        const events = await serveEvents(this.db, snapshot.version, list.filter((e) => e.roomId === roomId), this.viewer);
        for (const e of events) served.set(e.event_id, e);
      }),
    );
    return list.map((e) => served.get(e.eventId)).filter((e): e is ClientEvent => e !== undefined);
  }

  /** Up to `limit` visible matches after the cursor, and whether more matches may follow. */
  async #page(q: SearchQuery, after: SearchCursor | undefined, limit: number) {
    const out: { hit: SearchHit; event: StoredEvent }[] = [];
    let cursor = after;
    let more = true;
    const batch = Math.max(limit * 2, 20);
    for (let round = 0; round < MAX_ROUNDS && out.length < limit && more; round++) {
      const hits = await searchHits(this.db, q, cursor, batch);
      more = hits.length === batch;
      const events = await getEvents(this.db, hits.map((h) => h.eventId));
      const visible = new Set((await this.#visible(hits.map((h) => events.get(h.eventId)).filter((e): e is StoredEvent => e !== undefined))).map((e) => e.eventId));
      for (const hit of hits) {
        cursor = cursorOf(hit);
        if (!visible.has(hit.eventId)) continue;
        out.push({ hit, event: events.get(hit.eventId)! });
        if (out.length === limit) {
          more ||= hit !== hits[hits.length - 1];
          break;
        }
      }
    }
    return { found: out, cursor, more: more && cursor !== undefined };
  }

  /** The number of matches: exact (visible ones) up to EXACT_COUNT_UP_TO, else all matches in the rooms. */
  async #count(q: SearchQuery): Promise<number> {
    const total = await countHits(this.db, q);
    if (total > EXACT_COUNT_UP_TO) return total;
    const hits = await searchHits(this.db, q, undefined, EXACT_COUNT_UP_TO);
    const events = await getEvents(this.db, hits.map((h) => h.eventId));
    return (await this.#visible([...events.values()])).length;
  }

  /** Visible timeline events next to an event, nearest first. */
  async #around(target: StoredEvent, dir: 'b' | 'f', limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let pos = target.streamPos!;
    for (let round = 0; round < MAX_ROUNDS && out.length < limit; round++) {
      const page = await timeline(this.db, target.roomId, { dir, limit: limit * 2 + 5, before: dir === 'b' ? pos : undefined, after: dir === 'f' ? pos : undefined });
      if (page.length === 0) break;
      out.push(...(await this.#visible(page)));
      pos = page[page.length - 1].streamPos!;
      if (page.length < limit * 2 + 5) break;
    }
    return out.slice(0, limit);
  }

  /** Display names and avatars of the senders as the room state had them at the event. */
  async #profiles(target: StoredEvent, senders: string[]): Promise<Record<string, Profile>> {
    const out: Record<string, Profile> = {};
    if (target.stateGroup === null) return out;
    const state = (await stateKeysAtGroups(this.db, [target.stateGroup], senders.map((s) => ['m.room.member', s]))).get(target.stateGroup);
    const members = await getEvents(this.db, [...(state?.values() ?? [])]);
    for (const sender of senders) {
      const id = state?.get(stateKey('m.room.member', sender));
      const content = id ? members.get(id)?.pdu.content : undefined;
      if (!content) continue;
      const p: Profile = {};
      if (typeof content.displayname === 'string') p.displayname = content.displayname;
      if (typeof content.avatar_url === 'string') p.avatar_url = content.avatar_url;
      out[sender] = p;
    }
    return out;
  }

  async #context(target: StoredEvent, before: number, after: number, includeProfile: boolean): Promise<EventContext> {
    const [b, f] = await Promise.all([this.#around(target, 'b', before), this.#around(target, 'f', after)]);
    const ctx: EventContext = {
      // Tokens as /messages reads them: backwards from `start`, forwards from `end`.
      start: positionToken((b.length ? b[b.length - 1].streamPos! : target.streamPos!) - 1),
      end: positionToken(f.length ? f[f.length - 1].streamPos! : target.streamPos!),
      events_before: await this.#serve(b),
      events_after: await this.#serve(f),
    };
    if (includeProfile) ctx.profile_info = await this.#profiles(target, [...new Set([target, ...b, ...f].map((e) => e.pdu.sender))]);
    return ctx;
  }

  async search(criteria: RoomEventsCriteria, nextBatch: string | undefined): Promise<RoomEventsResults> {
    const order = criteria.order_by ?? 'rank';
    const token = nextBatch === undefined ? undefined : readToken(nextBatch, order);
    const filter = criteria.filter ?? {};
    const limit = Math.min(filter.limit ?? DEFAULT_LIMIT, MAX_LIMIT);

    let rooms = await roomsOfUser(this.db, this.viewer.userId, 'join');
    if (filter.rooms) {
      const wanted = new Set([...filter.rooms, ...(await predecessors(this.db, filter.rooms))]);
      rooms = rooms.filter((r) => wanted.has(r));
    }
    if (filter.not_rooms) rooms = rooms.filter((r) => !filter.not_rooms!.includes(r));
    let senders = filter.senders;
    if (token?.g?.[0] === 'room_id') rooms = rooms.filter((r) => r === token.g![1]);
    if (token?.g?.[0] === 'sender') senders = (senders ?? [token.g[1]]).filter((s) => s === token.g![1]);
    // Each key is one event type, so the filter's types pick keys.
    const typeFilter = { types: filter.types, not_types: filter.not_types };
    const keys = (criteria.keys ?? (Object.keys(SEARCH_KEYS) as SearchKey[])).filter((k) =>
      matchesFilter(typeFilter, { type: SEARCH_KEYS[k].type, sender: '', content: {} }),
    );
    const empty: RoomEventsResults = { count: 0, highlights: [], results: [] };
    if (rooms.length === 0 || keys.length === 0 || senders?.length === 0 || limit === 0) return empty;

    const q: SearchQuery = { term: criteria.search_term, roomIds: rooms, keys, senders, notSenders: filter.not_senders, containsUrl: filter.contains_url, order };
    const [{ found, cursor, more }, count] = await Promise.all([this.#page(q, token?.c, limit), token ? Promise.resolve(token.n) : this.#count(q)]);

    const served = await this.#serve(found.map((f) => f.event));
    const texts = found.map((f) => searchableText(f.event)?.text).filter((t): t is string => t !== undefined);
    const ec = criteria.event_context;
    const contexts = ec
      ? await Promise.all(
          found.map((f) =>
            this.#context(f.event, Math.min(ec.before_limit ?? 5, MAX_CONTEXT), Math.min(ec.after_limit ?? 5, MAX_CONTEXT), ec.include_profile === true),
          ),
        )
      : undefined;
    const out: RoomEventsResults = {
      count,
      highlights: await highlightWords(this.db, criteria.search_term, texts),
      results: found.map((f, i) => {
        const r: Result = { rank: f.hit.rank, result: served[i] };
        if (contexts) r.context = contexts[i];
        return r;
      }),
    };
    if (more) out.next_batch = base64UrlEncodeJson({ o: order, c: cursor!, n: count, g: token?.g } satisfies Token);

    if (criteria.include_state) {
      out.state = {};
      for (const roomId of new Set(found.map((f) => f.hit.roomId))) out.state[roomId] = await this.#serve(await currentState(this.db, roomId));
    }

    const groupKeys = new Set((criteria.groupings?.group_by ?? []).map((g) => g.key));
    if (groupKeys.size) {
      out.groups = {};
      for (const key of groupKeys) out.groups[key] = await this.#groups(q, found.map((f) => f.hit), key, count);
    }
    return out;
  }

  /** Results by room or sender, ordered as their first result; a token per group while it has more matches. */
  async #groups(q: SearchQuery, hits: SearchHit[], key: GroupKey, count: number): Promise<Record<string, Group>> {
    const groups: Record<string, Group> = {};
    const last = new Map<string, SearchHit>();
    for (const hit of hits) {
      const value = key === 'room_id' ? hit.roomId : hit.sender;
      groups[value] ??= { results: [], order: Object.keys(groups).length + 1 };
      groups[value].results.push(hit.eventId);
      last.set(value, hit);
    }
    await Promise.all(
      [...last].map(async ([value, hit]) => {
        const within: SearchQuery = key === 'room_id' ? { ...q, roomIds: [value] } : { ...q, senders: [value] };
        if ((await searchHits(this.db, within, cursorOf(hit), 1)).length) {
          groups[value].next_batch = base64UrlEncodeJson({ o: q.order, c: cursorOf(hit), n: count, g: [key, value] } satisfies Token);
        }
      }),
    );
    return groups;
  }
}
