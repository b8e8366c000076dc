// What a sliding sync connection (one per device and conn_id) has sent, so that a response carries
// only what changed. Kept in the user's object: in memory, and in the object's own SQLite storage,
// so a `pos` stays valid when the object is evicted. Why there and not in Postgres: only this
// object ever reads or writes it, a write costs no network round trip (it commits with the
// response, behind the object's output gate), and it needs no shared schema or cleanup job.
//
// Positions: a response leaves the connection at a new position only when its state changed. The
// state at the position the client sent is kept until the client shows which response it got: the
// next request carries either that same position (the response was lost: what it recorded is
// dropped) or the new one (it arrived: the new state becomes the base). Any other pos is unknown.
import type { RoomConfig } from './request';
import { unknownPos } from './token';

/** A connection unused this long is forgotten (its pos gets M_UNKNOWN_POS). */
const EXPIRY_MS = 7 * 24 * 3600_000;
/** last_used is written at most this often. */
const TOUCH_MS = 3600_000;
/** Connections kept per device; the least recently used go first. */
const MAX_CONNECTIONS_PER_DEVICE = 10;
/** Lazily loaded members remembered per room (more are simply sent again when needed). */
export const MAX_LAZY_MEMBERS = 100;

/** What the connection has of one room. */
export interface RoomState {
  /** The user's membership when the room was last sent. */
  membership?: string;
  /** Room events up to this position have been sent (or held nothing for the client). */
  upto?: number;
  /** The room config in effect when the room was last sent. */
  config?: RoomConfig;
  /** Users whose current member event the client was sent (lazy loading). */
  lazy?: string[];
  /** Receipts up to this misc position have been sent; FOLLOWS: up to the connection's mark. */
  receipts?: number | typeof FOLLOWS;
  /** Room account data up to this misc position has been sent; FOLLOWS: up to the connection's mark. */
  accountData?: number | typeof FOLLOWS;
}

/**
 * A room whose receipts or account data are sent up to the connection's mark for that stream
 * (Marks): moving the mark brings every such room along with one write, not one per room.
 */
export const FOLLOWS = 'conn';

/** Connection-wide positions, one per stream, for the rooms that follow them. */
export interface Marks {
  receipts?: number;
  accountData?: number;
}

/** Marks are stored as the row of this room id, which no room has, to share the rooms' positions. */
const MARKS_ROW = '';

interface Conn {
  deviceId: string;
  connId: string;
  acked: number;
  base: Map<string, RoomState>;
  marks: Marks;
  pending?: { pos: number; changes: Map<string, RoomState>; marks?: Marks };
  lastUsed: number;
  /** Bumped by every request: a request that is no longer the newest must not record anything. */
  gen: number;
}

/** A request's view of its connection: the state at the position it came with. */
export interface ConnectionView {
  readonly position: number;
  readonly rooms: ReadonlyMap<string, RoomState>;
  readonly marks: Readonly<Marks>;
  readonly conn: Conn;
  readonly gen: number;
}

/** The stored form of a RoomState: short keys, the config by id. */
interface StoredRoom {
  m?: string;
  u?: number;
  c?: number;
  l?: string[];
  r?: number | typeof FOLLOWS;
  a?: number | typeof FOLLOWS;
}

const SCHEMA = `
create table if not exists sliding_sync_connections (
  device_id text not null, conn_id text not null, acked integer not null, last_used integer not null,
  primary key (device_id, conn_id));
create table if not exists sliding_sync_rooms (
  device_id text not null, conn_id text not null, pos integer not null, room_id text not null, state text not null,
  primary key (device_id, conn_id, room_id, pos));
create table if not exists sliding_sync_configs (id integer primary key, json text not null unique);
create table if not exists sliding_sync_meta (key text primary key, value integer not null);`;

export class ConnectionStore {
  #conns = new Map<string, Conn>();
  #ready = false;
  #configIds = new Map<string, number>();
  #configs = new Map<number, RoomConfig>();
  #nextPos = 1;

  constructor(private readonly storage: DurableObjectStorage) {}

  get #sql(): SqlStorage {
    return this.storage.sql;
  }

  #init(): void {
    if (this.#ready) return;
    this.#sql.exec(SCHEMA);
    for (const row of this.#sql.exec<{ id: number; json: string }>('select id, json from sliding_sync_configs')) {
      this.#configIds.set(row.json, row.id);
      this.#configs.set(row.id, JSON.parse(row.json) as RoomConfig);
    }
    const meta = this.#sql.exec<{ value: number }>("select value from sliding_sync_meta where key = 'pos'").toArray();
    this.#nextPos = meta.length ? meta[0].value : 1;
    this.#ready = true;
  }

  #allocate(): number {
    const pos = this.#nextPos++;
    this.#sql.exec("insert into sliding_sync_meta (key, value) values ('pos', ?) on conflict (key) do update set value = excluded.value", this.#nextPos);
    return pos;
  }

  #configId(config: RoomConfig): number {
    const json = JSON.stringify({ timelineLimit: config.timelineLimit, requiredState: config.requiredState });
    let id = this.#configIds.get(json);
    if (id === undefined) {
      id = this.#sql.exec<{ id: number }>('insert into sliding_sync_configs (json) values (?) returning id', json).one().id;
      this.#configIds.set(json, id);
      this.#configs.set(id, JSON.parse(json) as RoomConfig);
    }
    return id;
  }

  #encode(s: RoomState): string {
    const out: StoredRoom = {};
    if (s.membership !== undefined) out.m = s.membership;
    if (s.upto !== undefined) out.u = s.upto;
    if (s.config) out.c = this.#configId(s.config);
    if (s.lazy?.length) out.l = s.lazy.slice(-MAX_LAZY_MEMBERS);
    if (s.receipts !== undefined) out.r = s.receipts;
    if (s.accountData !== undefined) out.a = s.accountData;
    return JSON.stringify(out);
  }

  #decode(json: string): RoomState {
    const s = JSON.parse(json) as StoredRoom;
    const out: RoomState = {};
    if (s.m !== undefined) out.membership = s.m;
    if (s.u !== undefined) out.upto = s.u;
    if (s.c !== undefined) {
      const config = this.#configs.get(s.c);
      if (config) out.config = config;
    }
    if (s.l) out.lazy = s.l;
    if (s.r !== undefined) out.receipts = s.r;
    if (s.a !== undefined) out.accountData = s.a;
    return out;
  }

  #load(deviceId: string, connId: string): Conn | undefined {
    const [row] = this.#sql
      .exec<{ acked: number; last_used: number }>('select acked, last_used from sliding_sync_connections where device_id = ? and conn_id = ?', deviceId, connId)
      .toArray();
    if (!row) return undefined;
    const conn: Conn = { deviceId, connId, acked: row.acked, base: new Map(), marks: {}, lastUsed: row.last_used, gen: 0 };
    const rows = this.#sql.exec<{ pos: number; room_id: string; state: string }>(
      'select pos, room_id, state from sliding_sync_rooms where device_id = ? and conn_id = ? order by pos',
      deviceId,
      connId,
    );
    for (const r of rows) {
      if (r.pos <= conn.acked) {
        if (r.room_id === MARKS_ROW) conn.marks = JSON.parse(r.state) as Marks;
        else conn.base.set(r.room_id, this.#decode(r.state));
        continue;
      }
      if (!conn.pending || conn.pending.pos < r.pos) conn.pending = { pos: r.pos, changes: new Map() };
      if (conn.pending.pos !== r.pos) continue;
      if (r.room_id === MARKS_ROW) conn.pending.marks = JSON.parse(r.state) as Marks;
      else conn.pending.changes.set(r.room_id, this.#decode(r.state));
    }
    return conn;
  }

  #forget(deviceId: string, connId: string): void {
    this.#conns.delete(keyOf(deviceId, connId));
    this.#sql.exec('delete from sliding_sync_rooms where device_id = ? and conn_id = ?', deviceId, connId);
    this.#sql.exec('delete from sliding_sync_connections where device_id = ? and conn_id = ?', deviceId, connId);
  }

  /** Drops expired connections, and the device's least recently used ones past the limit. */
  #sweep(deviceId: string, now: number): void {
    const stale = this.#sql
      .exec<{ device_id: string; conn_id: string }>('select device_id, conn_id from sliding_sync_connections where last_used < ?', now - EXPIRY_MS)
      .toArray();
    const mine = this.#sql
      .exec<{ device_id: string; conn_id: string }>('select device_id, conn_id from sliding_sync_connections where device_id = ? order by last_used desc', deviceId)
      .toArray()
      .slice(MAX_CONNECTIONS_PER_DEVICE);
    for (const c of [...stale, ...mine]) this.#forget(c.device_id, c.conn_id);
  }

  /**
   * The connection as of `pos` (undefined: a new connection, replacing any of the same conn_id).
   * A pos that is not the connection's current or newest position gets M_UNKNOWN_POS.
   */
  open(deviceId: string, connId: string, pos: number | undefined, now = Date.now()): ConnectionView {
    this.#init();
    const key = keyOf(deviceId, connId);
    let conn: Conn | undefined;
    if (pos === undefined) {
      this.storage.transactionSync(() => {
        this.#forget(deviceId, connId);
        this.#sweep(deviceId, now);
        conn = { deviceId, connId, acked: this.#allocate(), base: new Map(), marks: {}, lastUsed: now, gen: 0 };
        this.#sql.exec('insert into sliding_sync_connections (device_id, conn_id, acked, last_used) values (?, ?, ?, ?)', deviceId, connId, conn.acked, now);
      });
      this.#conns.set(key, conn!);
    } else {
      conn = this.#conns.get(key) ?? this.#load(deviceId, connId);
      if (!conn || now - conn.lastUsed > EXPIRY_MS) {
        if (conn) this.#forget(deviceId, connId);
        throw unknownPos();
      }
      this.#conns.set(key, conn);
      this.#moveTo(conn, pos);
      if (now - conn.lastUsed > TOUCH_MS) {
        conn.lastUsed = now;
        this.#sql.exec('update sliding_sync_connections set last_used = ? where device_id = ? and conn_id = ?', now, deviceId, connId);
      }
    }
    const c = conn!;
    c.gen++;
    return { position: c.acked, rooms: c.base, marks: c.marks, conn: c, gen: c.gen };
  }

  /** The client came back with `pos`: the newest response arrived (pending becomes base), or it did not. */
  #moveTo(conn: Conn, pos: number): void {
    const { deviceId, connId } = conn;
    if (conn.pending && pos === conn.pending.pos) {
      const { changes, marks } = conn.pending;
      for (const [roomId, s] of changes) conn.base.set(roomId, s);
      if (marks) conn.marks = marks;
      conn.acked = pos;
      conn.pending = undefined;
      this.storage.transactionSync(() => {
        this.#sql.exec('update sliding_sync_connections set acked = ? where device_id = ? and conn_id = ?', pos, deviceId, connId);
        // Older rows of the rooms this position rewrote are superseded.
        this.#sql.exec(
          `delete from sliding_sync_rooms where device_id = ?1 and conn_id = ?2 and pos < ?3
             and room_id in (select room_id from sliding_sync_rooms where device_id = ?1 and conn_id = ?2 and pos = ?3)`,
          deviceId,
          connId,
          pos,
        );
      });
      return;
    }
    if (pos !== conn.acked) throw unknownPos();
    if (conn.pending) {
      conn.pending = undefined;
      this.#sql.exec('delete from sliding_sync_rooms where device_id = ? and conn_id = ? and pos > ?', deviceId, connId, conn.acked);
    }
  }

  /** Whether `view` still belongs to the newest request of its connection. */
  isCurrent(view: ConnectionView): boolean {
    return view.conn.gen === view.gen && view.conn.acked === view.position && this.#conns.get(keyOf(view.conn.deviceId, view.conn.connId)) === view.conn;
  }

  /**
   * Records the rooms and marks a response changed; returns the position the response leaves the
   * connection at (the same one when nothing changed).
   */
  commit(view: ConnectionView, changes: ReadonlyMap<string, RoomState>, marks: Marks = view.marks): number {
    const { conn } = view;
    const marksChanged = marks.receipts !== view.marks.receipts || marks.accountData !== view.marks.accountData;
    if ((changes.size === 0 && !marksChanged) || !this.isCurrent(view)) return view.position;
    let pos = 0;
    this.storage.transactionSync(() => {
      pos = this.#allocate();
      const insert = (roomId: string, state: string) =>
        this.#sql.exec('insert into sliding_sync_rooms (device_id, conn_id, pos, room_id, state) values (?, ?, ?, ?, ?)', conn.deviceId, conn.connId, pos, roomId, state);
      for (const [roomId, s] of changes) insert(roomId, this.#encode(s));
      if (marksChanged) insert(MARKS_ROW, JSON.stringify(marks));
    });
    conn.pending = { pos, changes: new Map(changes), ...(marksChanged ? { marks: { ...marks } } : {}) };
    return pos;
  }
}

const keyOf = (deviceId: string, connId: string) => `${deviceId}\u0000${connId}`;
