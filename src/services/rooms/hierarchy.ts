// The space hierarchy (spec: GET /_matrix/client/v1/rooms/{roomId}/hierarchy, "Spaces"): a
// depth-first walk over m.space.child events, children in the spec's order, each room once, only
// rooms the requester may see. Rooms this server does not know need federation and are skipped.
//
// Tokens hold no walk state: they name the parameters and how many rooms earlier pages returned,
// and each page walks again from the root. Pages stay short (at most MAX_LIMIT rooms), and the
// walk is cheap: one query per space entered, one per set of children.
import type { Db } from '../../db/client';
import { currentState } from '../../db/queries/room-state';
import { summaryRows, type SummaryRow } from '../../db/queries/summaries';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { RoomSummary } from '../../matrix/room-summary';
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

interface StrippedChild {
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
async function childrenOf(db: Db, spaceId: string, suggestedOnly: boolean): Promise<StrippedChild[]> {
  const events = await currentState(db, spaceId, { types: ['m.space.child'] });
  return events
    .filter((e) => hasValidVia(e.pdu.content) && (!suggestedOnly || isSuggested(e.pdu.content)))
    .map((e) => ({ stateKey: e.pdu.state_key!, originServerTs: e.pdu.origin_server_ts, content: e.pdu.content, sender: e.pdu.sender }))
    .sort(compareChildren)
    .map((c) => ({ type: 'm.space.child', state_key: c.stateKey, content: c.content, sender: c.sender, origin_server_ts: c.originServerTs }));
}

export async function hierarchy(db: Db, userId: string, req: HierarchyRequest): Promise<{ rooms: HierarchyRoom[]; next_batch?: string }> {
  const skip = readToken(req);
  const viewer = new SummaryViewer(db, userId);
  const rows = new Map<string, SummaryRow | null>();
  const load = async (ids: string[]) => {
    const missing = ids.filter((id) => !rows.has(id));
    if (missing.length === 0) return;
    const found = await summaryRows(db, missing, userId);
    for (const id of missing) rows.set(id, found.get(id) ?? null);
  };

  await load([req.roomId]);
  const root = rows.get(req.roomId);
  if (!root || !(await viewer.maySee(root))) throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are not allowed to view this room');

  const stack: { roomId: string; depth: number }[] = [{ roomId: req.roomId, depth: 0 }];
  const processed = new Set<string>();
  const out: HierarchyRoom[] = [];
  let walked = 0;
  while (stack.length && out.length < req.limit) {
    const { roomId, depth } = stack.pop()!;
    if (processed.has(roomId)) continue;
    processed.add(roomId);
    const row = rows.get(roomId);
    if (!row || !(await viewer.maySee(row))) continue;
    const summary = summaryOf(row);
    const children = summary.room_type === 'm.space' ? await childrenOf(db, roomId, req.suggestedOnly) : [];
    if (walked++ >= skip) out.push({ ...summary, children_state: children });
    if (req.maxDepth === undefined || depth < req.maxDepth) {
      const next = children.map((c) => c.state_key).filter((id) => !processed.has(id));
      await load(next);
      // Pushed in reverse, so the first child in the spec's order is walked first.
      for (const id of next.reverse()) stack.push({ roomId: id, depth: depth + 1 });
    }
  }
  const result: { rooms: HierarchyRoom[]; next_batch?: string } = { rooms: out };
  if (stack.some((e) => !processed.has(e.roomId))) {
    result.next_batch = base64UrlEncodeJson({ r: req.roomId, s: req.suggestedOnly, d: req.maxDepth ?? null, n: walked } satisfies Token);
  }
  return result;
}
