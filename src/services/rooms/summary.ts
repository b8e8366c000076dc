// Room summaries for a requester (spec: GET /room_summary, and the rooms of GET /hierarchy): the
// summary itself, and whether the requester may see it at all.
import type { Db } from '../../db/client';
import { roomsOfUser } from '../../db/queries/rooms';
import { summaryRows, type SummaryRow } from '../../db/queries/summaries';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { allowedRoomIds, maySeeSummary, summarize, type RoomSummary } from '../../matrix/room-summary';
import { getRoomVersion } from '../../matrix/room-versions';

/** Decides visibility for one requester (or for anyone, unauthenticated), loading their rooms once if needed. */
export class SummaryViewer {
  #joined?: Promise<Set<string>>;

  constructor(
    private readonly db: Db,
    readonly userId: string | undefined,
  ) {}

  async maySee(row: SummaryRow): Promise<boolean> {
    const version = getRoomVersion(row.version);
    if (!version) return false;
    const input = { version, state: row.state, membership: row.membership };
    if (maySeeSummary(input)) return true;
    if (this.userId === undefined || allowedRoomIds(row.state, version).length === 0) return false;
    this.#joined ??= roomsOfUser(this.db, this.userId, 'join').then((ids) => new Set(ids));
    return maySeeSummary({ ...input, joinedRooms: await this.#joined });
  }
}

export function summaryOf(row: SummaryRow): RoomSummary {
  return summarize(row.roomId, getRoomVersion(row.version)!, row.state, row.joined);
}

/** The summary of a room this server knows, with the requester's membership (`leave` for none). */
export async function roomSummary(db: Db, roomId: string, userId: string | undefined): Promise<RoomSummary & { membership?: string }> {
  const row = (await summaryRows(db, [roomId], userId)).get(roomId);
  // Unknown and hidden rooms answer alike, so that a summary reveals nothing about hidden rooms.
  if (!row || !(await new SummaryViewer(db, userId).maySee(row))) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Room not found or is not accessible');
  const summary: RoomSummary & { membership?: string } = summaryOf(row);
  if (userId !== undefined) summary.membership = row.membership ?? 'leave';
  return summary;
}
