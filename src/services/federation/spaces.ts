// GET /_matrix/federation/v1/hierarchy/{roomId} (spec: server-server "Spaces"): the space and its
// direct children, as far as the asking server could peek into or join them: public, knockable
// or world-readable rooms, rooms where one of its users is joined or invited, and restricted rooms
// whose allowed rooms hold one of its users. Children it could not reach are listed by id only;
// children we know nothing of are left out. Rooms whose ACL bans the server count as unreachable.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { summaryRows, type SummaryRow } from '../../db/queries/summaries';
import { roomMemberships } from '../../db/schema';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { allowedRoomIds, maySeeSummary } from '../../matrix/room-summary';
import { getRoomVersion } from '../../matrix/room-versions';
import { childrenOf, type HierarchyRoom } from '../rooms/hierarchy';
import { summaryOf } from '../rooms/summary';
import { roomsBanning } from './acl';

/** Of `roomIds`, those where a user of `server` is joined or invited. */
async function roomsWithMembersOf(db: Db, roomIds: string[], server: string): Promise<Set<string>> {
  if (roomIds.length === 0) return new Set();
  const r = (await db.execute(sql`
    select distinct room_id from ${roomMemberships}
    where room_id = any(${sql.param(roomIds)}::text[]) and membership in ('join', 'invite')
      and substring(user_id from position(':' in user_id) + 1) = ${server}`)) as unknown as { rows: { room_id: string }[] };
  return new Set(r.rows.map((x) => x.room_id));
}

class ServerViewer {
  #banned = new Set<string>();
  #members = new Set<string>();
  constructor(
    private readonly db: Db,
    private readonly server: string,
  ) {}

  /** Loads what decides about these rooms (and the rooms their restricted join rules name). */
  async load(rows: SummaryRow[]): Promise<void> {
    const ids = new Set(rows.map((r) => r.roomId));
    for (const r of rows) {
      const v = getRoomVersion(r.version);
      if (v) for (const a of allowedRoomIds(r.state, v)) ids.add(a);
    }
    const [banned, members] = await Promise.all([roomsBanning(this.db, [...ids], this.server), roomsWithMembersOf(this.db, [...ids], this.server)]);
    for (const id of banned) this.#banned.add(id);
    for (const id of members) this.#members.add(id);
  }

  banned(roomId: string): boolean {
    return this.#banned.has(roomId);
  }

  maySee(row: SummaryRow): boolean {
    const version = getRoomVersion(row.version);
    if (!version || this.#banned.has(row.roomId)) return false;
    return maySeeSummary({ version, state: row.state, membership: this.#members.has(row.roomId) ? 'join' : undefined, joinedRooms: this.#members });
  }
}

export async function serveHierarchy(
  db: Db,
  origin: string,
  roomId: string,
  suggestedOnly: boolean,
): Promise<{ room: HierarchyRoom; children: HierarchyRoom[]; inaccessible_children: string[] }> {
  const root = (await summaryRows(db, [roomId])).get(roomId);
  if (!root) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown room');
  const viewer = new ServerViewer(db, origin);
  await viewer.load([root]);
  if (viewer.banned(roomId)) throw new MatrixError(403, ErrCode.FORBIDDEN, 'Server is banned by the room ACL');
  if (!viewer.maySee(root)) throw new MatrixError(404, ErrCode.NOT_FOUND, 'The room is not accessible to your server');

  const summary = summaryOf(root);
  const childrenState = summary.room_type === 'm.space' ? await childrenOf(db, roomId, suggestedOnly) : [];
  const childRows = await summaryRows(db, [...new Set(childrenState.map((c) => c.state_key))]);
  await viewer.load([...childRows.values()]);
  const children: HierarchyRoom[] = [];
  const inaccessible: string[] = [];
  for (const row of childRows.values()) {
    if (!viewer.maySee(row)) {
      inaccessible.push(row.roomId);
      continue;
    }
    const child = summaryOf(row);
    children.push({ ...child, children_state: child.room_type === 'm.space' ? await childrenOf(db, row.roomId, suggestedOnly) : [] });
  }
  return { room: { ...summary, children_state: childrenState }, children, inaccessible_children: inaccessible };
}
