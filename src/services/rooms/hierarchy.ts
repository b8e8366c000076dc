// The space hierarchy (spec: GET /_matrix/client/v1/rooms/{roomId}/hierarchy, "Spaces"): a
// depth-first walk over m.space.child events, children in the spec's order, each room once, only
// rooms the requester may see. Rooms this server does not know are asked of the servers their
// m.space.child event names (`remote`), and skipped when none can tell.
//
// Tokens hold no walk state: they name the parameters and how many rooms earlier pages returned,
// and each page walks again from the root. Pages stay short (at most MAX_LIMIT rooms), and the
// walk is cheap: one query per space entered, one per set of children.
import type { Db } from '../../db/client';
import { currentState } from '../../db/queries/room-state';
import { summaryRows, type SummaryRow } from '../../db/queries/summaries';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { RoomSummary } from '../../matrix/room-summary';
import { serverNameOf } from '../../matrix/ids';
import { compareChildren, hasValidVia, isSuggested } from '../../matrix/spaces';
import type { JsonObject } from '../../matrix/types';
import { summaryOf, SummaryViewer } from './summary';
import { base64UrlDecodeJson, base64UrlEncodeJson } from './tokens';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 50;

export interface HierarchyRequest {
  roomId: string;
  suggestedOnly: boolean;
  maxDepth?: number;
  limit: number;
  from?: string;
}

export interface StrippedChild {
  type: 'm.space.child';
  state_key: string;
  content: JsonObject;
  sender: string;
  origin_server_ts: number;
}

export type HierarchyRoom = RoomSummary & { children_state: StrippedChild[] };

interface Token {
  r: string;
  s: boolean;
  d: number | null;
  n: number;
}

const badToken = () => new MatrixError(400, ErrCode.INVALID_PARAM, 'Unknown pagination token, or suggested_only or max_depth changed since it was given');

function readToken(req: HierarchyRequest): number {
  if (req.from === undefined) return 0;
  const t = base64UrlDecodeJson(req.from) as Partial<Token> | null;
  if (typeof t !== 'object' || t === null || !Number.isSafeInteger(t.n) || t.n! < 0) throw badToken();
  if (t.r !== req.roomId || t.s !== req.suggestedOnly || t.d !== (req.maxDepth ?? null)) throw badToken();
  return t.n!;
}

/** A space's children, valid and (when asked) suggested ones only, in the spec's order. */
export async function childrenOf(db: Db, spaceId: string, suggestedOnly: boolean): Promise<StrippedChild[]> {
  const events = await currentState(db, spaceId, { types: ['m.space.child'] });
  return events
    .filter((e) => hasValidVia(e.pdu.content) && (!suggestedOnly || isSuggested(e.pdu.content)))
    .map((e) => ({ stateKey: e.pdu.state_key!, originServerTs: e.pdu.origin_server_ts, content: e.pdu.content, sender: e.pdu.sender }))
    .sort(compareChildren)
    .map((c) => ({ type: 'm.space.child', state_key: c.stateKey, content: c.content, sender: c.sender, origin_server_ts: c.originServerTs }));
}

/** A room this server does not know, with its children, from the servers in `via`, if the requester may see it. */
export type RemoteRoomLookup = (roomId: string, via: string[]) => Promise<HierarchyRoom | undefined>;

/** Children to walk into, as the spec orders them (remote rooms' children come unfiltered). */
function walkable(children: StrippedChild[], suggestedOnly: boolean): StrippedChild[] {
  return children
    .filter((c) => hasValidVia(c.content) && (!suggestedOnly || isSuggested(c.content)))
    .map((c) => ({ stateKey: c.state_key, originServerTs: c.origin_server_ts, content: c.content, child: c }))
    .sort(compareChildren)
    .map((c) => c.child);
}

export async function hierarchy(db: Db, userId: string, req: HierarchyRequest, remote?: RemoteRoomLookup): Promise<{ rooms: HierarchyRoom[]; next_batch?: string }> {
  const skip = readToken(req);
  const viewer = new SummaryViewer(db, userId);
  const rows = new Map<string, SummaryRow | null>();
  const load = async (ids: string[]) => {
    const missing = ids.filter((id) => !rows.has(id));
    if (missing.length === 0) return;
    const found = await summaryRows(db, missing, userId);
    for (const id of missing) rows.set(id, found.get(id) ?? null);
  };

  /** The room with its children, if the requester may see it: ours from the database, others' from `remote`. */
  const entry = async (roomId: string, via: string[]): Promise<HierarchyRoom | undefined> => {
    const row = rows.get(roomId);
    if (row) {
      if (!(await viewer.maySee(row))) return undefined;
      const summary = summaryOf(row);
      return { ...summary, children_state: summary.room_type === 'm.space' ? await childrenOf(db, roomId, req.suggestedOnly) : [] };
    }
    const found = remote && (await remote(roomId, via));
    return found && { ...found, children_state: walkable(found.children_state, req.suggestedOnly) };
  };

  await load([req.roomId]);
  const rootServer = serverNameOf(req.roomId);
  const root = await entry(req.roomId, rootServer ? [rootServer] : []);
  if (!root) throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are not allowed to view this room');

  const stack: { roomId: string; depth: number; via: string[] }[] = [{ roomId: req.roomId, depth: 0, via: [] }];
  const processed = new Set<string>();
  const out: HierarchyRoom[] = [];
  let walked = 0;
  while (stack.length && out.length < req.limit) {
    const { roomId, depth, via } = stack.pop()!;
    if (processed.has(roomId)) continue;
    processed.add(roomId);
    const room = roomId === req.roomId ? root : await entry(roomId, via);
    if (!room) continue;
    const children = room.children_state;
    if (walked++ >= skip) out.push(room);
    if (req.maxDepth === undefined || depth < req.maxDepth) {
      const next = children.filter((c) => !processed.has(c.state_key));
      await load(next.map((c) => c.state_key));
      // Pushed in reverse, so the first child in the spec's order is walked first.
      for (const c of next.reverse()) stack.push({ roomId: c.state_key, depth: depth + 1, via: c.content.via as string[] });
    }
  }
  const result: { rooms: HierarchyRoom[]; next_batch?: string } = { rooms: out };
  if (stack.some((e) => !processed.has(e.roomId))) {
    result.next_batch = base64UrlEncodeJson({ r: req.roomId, s: req.suggestedOnly, d: req.maxDepth ?? null, n: walked } satisfies Token);
  }
  return result;
}
