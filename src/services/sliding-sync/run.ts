// A sliding sync request in the user's object: opens the connection at the request's pos, computes
// a response, and long-polls when it has nothing new (woken by the same SyncWaiters as /sync).
// The connection records what a response sent only when the response goes out.
import type { UserScope } from '../account/scope';
import type { SyncWaiters } from '../sync/waiters';
import { RoomActivity } from './activity';
import { ConnectionStore, type ConnectionView } from './connection';
import { quietExtensions } from './extensions';
import type { SlidingSyncRequest } from './request';
import { UserSettings } from './settings';
import { computeResponse, type ResponseBody, type SyncOutcome } from './sync';
import { formatPos, parsePos } from './token';

/** How long the object's knowledge of the stream heads may be trusted without reading them again. */
const RECHECK_MS = 60_000;

/** What the user's object keeps for sliding sync across requests. */
export class SlidingSyncState {
  readonly connections: ConnectionStore;
  readonly activity = new RoomActivity();
  readonly settings = new UserSettings();
  /** Per connection: its last response (pos and list counts) and the request that produced it. */
  readonly last = new Map<string, LastResponse>();
  /** Per connection: ends the parked request, which a newer request of the connection replaces. */
  readonly interrupts = new Map<string, () => void>();

  constructor(storage: DurableObjectStorage) {
    this.connections = new ConnectionStore(storage);
  }
}

interface LastResponse {
  c: number;
  key: string;
  pos: string;
  lists: ResponseBody['lists'];
  /**
   * The response left the connection's state as it found it. Only then do its list counts hold at
   * its pos: which rooms are listed depends on what the connection has sent (a room the user left).
   */
  settled: boolean;
}

type Heads = { e: number; m: number; t: number };

/** What a request asks for, apart from where it starts: equal keys give equal responses from the same pos. */
function requestKey(r: SlidingSyncRequest): string {
  const toDevice = r.extensions.toDevice ? { limit: r.extensions.toDevice.limit } : undefined;
  return JSON.stringify([r.lists, r.subscriptions, { ...r.extensions, toDevice }]);
}

/** Nothing that concerns the user has happened after `at` (as far as the object was told). */
function nothingNew(at: { e: number; m: number; t: number }, waiters: SyncWaiters): boolean {
  const latest = waiters.latest;
  return latest !== undefined && Date.now() - waiters.checkedAt < RECHECK_MS && at.e >= latest.e && at.m >= latest.m && at.t >= waiters.typingSerial;
}

export async function runSlidingSync(s: UserScope, deviceId: string, request: SlidingSyncRequest, waiters: SyncWaiters, state: SlidingSyncState): Promise<ResponseBody> {
  const from = request.pos !== undefined ? parsePos(request.pos) : undefined;
  const connKey = `${deviceId}\u0000${request.connId}`;
  state.interrupts.get(connKey)?.();
  const view = state.connections.open(deviceId, request.connId, from?.c);
  const key = requestKey(request);
  const deadline = Date.now() + request.timeoutMs;

  // Where nothing new for this request can be: its pos, when the response that gave it answered the
  // same request and the client has taken every to-device message up to it.
  const last = state.last.get(connKey);
  const toDeviceTaken = !request.extensions.toDevice || (from !== undefined && (request.extensions.toDevice.since ?? 0) >= from.m);
  const resumed = from !== undefined && last?.c === from.c && last.pos === request.pos && last.key === key && toDeviceTaken ? last : undefined;
  let quiet: Heads | undefined = resumed ? from : undefined;
  // A response computed while waiting that had nothing new: still the answer if nothing moves.
  let idle: SyncOutcome | undefined;

  for (;;) {
    // Replaced by a newer request of the connection: the client no longer reads this response.
    if (!state.connections.isCurrent(view)) return { pos: request.pos ?? '', lists: {}, rooms: {}, extensions: {} };
    const now = Date.now();
    if (quiet && nothingNew(quiet, waiters)) {
      if (now < deadline) {
        await park(state, connKey, waiters, deadline - now);
        continue;
      }
      // Nothing moved: answer without reading the rooms again (what they would give is known).
      if (idle) return finish(state, connKey, key, view, idle);
      if (resumed?.settled) return quietResponse(s, deviceId, request, resumed);
    }
    const outcome = await computeResponse({ db: s.db, userId: s.userId, deviceId, request, from, view, waiters, activity: state.activity, settings: state.settings });
    waiters.learn({ e: outcome.to.e, m: outcome.to.m });
    // A list count that moved is news too (m.direct edited: rooms change is_dm lists).
    const countsMoved = resumed !== undefined && !sameCounts(resumed.lists, outcome.body.lists);
    if (outcome.news || countsMoved || !from || Date.now() >= deadline) return finish(state, connKey, key, view, outcome);
    quiet = outcome.to;
    idle = outcome;
  }
}

function sameCounts(a: ResponseBody['lists'], b: ResponseBody['lists']): boolean {
  return Object.keys(b).every((name) => a[name]?.count === b[name].count);
}

/** The empty response to a request that resumes its connection's last response when nothing moved since. */
async function quietResponse(s: UserScope, deviceId: string, request: SlidingSyncRequest, last: LastResponse): Promise<ResponseBody> {
  const body: ResponseBody = { pos: last.pos, lists: last.lists, rooms: {}, extensions: await quietExtensions(s.db, s.userId, deviceId, request.extensions) };
  if (request.txnId !== undefined) body.txn_id = request.txnId;
  return body;
}

/** Waits for news for the user, the deadline, or a newer request of the same connection. */
function park(state: SlidingSyncState, connKey: string, waiters: SyncWaiters, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      if (state.interrupts.get(connKey) === done) state.interrupts.delete(connKey);
      resolve();
    };
    state.interrupts.set(connKey, done);
    void waiters.park(ms).then(done);
  });
}

function finish(state: SlidingSyncState, connKey: string, key: string, view: ConnectionView, outcome: SyncOutcome): ResponseBody {
  const c = state.connections.commit(view, outcome.changes, outcome.marks);
  const pos = formatPos({ ...outcome.to, c });
  if (state.connections.isCurrent(view)) state.last.set(connKey, { c, key, pos, lists: outcome.body.lists, settled: c === view.position });
  return { pos, ...outcome.body };
}
