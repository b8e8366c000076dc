// Events from other servers joining a room's graph (spec: server-server "Checks performed on
// receipt of a PDU", "Soft failure", "Backfilling and retrieving missing events"). Runs in the
// room's object, in its write queue, on events whose format, signatures and hash were checked.
import type { Env } from '../../config';
import type { PooledDb } from '../../db/client';
import { knownEventIds, persistFederatedEvent, storeOutliers } from '../../db/queries/federated-events';
import { getEvents, persistEvents, stateOfGroup, type StoredEvent } from '../../db/queries/rooms';
import { describeForStorage } from './pipeline';
import { authorizeByAuthEvents, authorizeByState, authStateOf } from '../../matrix/auth-rules';
import { serverNameOf } from '../../matrix/ids';
import { authEventIds, prevEventIds } from '../../matrix/pdu';
import { redactsTarget } from '../../matrix/redaction';
import { splitStateKey, stateKey } from '../../matrix/state-map';
import type { Pdu, RoomEvent } from '../../matrix/types';
import { checkReceivedPdu } from '../federation/event-checks';
import { federationRequest } from '../federation/client';
import type { PushWrites } from '../push/room-events';
import type { RoomModel } from './model';
import { resolveStates, UnresolvableState } from './resolve';

export interface FederatedContext {
  env: Env;
  db: PooledDb;
  model: RoomModel;
  isLocal: (userId: string) => boolean;
  /**
   * Ids found not stored by one lookup for a whole transaction (RoomDO receive): their own lookup
   * is skipped. An id leaves the set once anything stores it (e.g. fetched as a missing event).
   */
  absent?: Set<string>;
  /** Notification actions for an accepted event, written with it (see RoomDO #pushActions). */
  pushActions?: (events: RoomEvent[]) => Promise<PushWrites>;
}

export type Outcome = { eventId: string; accepted: boolean; streamPos?: number; error?: string };

const keyOf = (pdu: Pdu) => stateKey(pdu.type, pdu.state_key ?? '');

/** Fetches and checks events from a server; the ones that pass are returned. */
async function checkedFromRemote(ctx: FederatedContext, raw: unknown[]): Promise<RoomEvent[]> {
  const out: RoomEvent[] = [];
  for (const r of raw) {
    const checked = await checkReceivedPdu(ctx.env, ctx.db, ctx.model.version, r);
    if (checked.ok && checked.event.pdu.room_id === ctx.model.roomId) out.push(checked.event);
  }
  return out;
}

/**
 * Makes sure every auth event of `event` is stored, fetching the auth chain from `origin` if
 * needed; fetched events are stored as outliers after their own auth check.
 */
async function ensureAuthEvents(ctx: FederatedContext, origin: string, event: RoomEvent): Promise<void> {
  const ids = authEventIds(event.pdu);
  const known = await knownEventIds(ctx.db, ids);
  if (ids.every((id) => known.has(id))) return;
  const res = await federationRequest<{ auth_chain?: unknown[] }>(ctx.env, origin, 'GET', `/_matrix/federation/v1/event_auth/${encodeURIComponent(ctx.model.roomId)}/${encodeURIComponent(event.eventId)}`);
  await storeAuthChain(ctx, await checkedFromRemote(ctx, res.auth_chain ?? []));
}

/** Stores an auth chain as outliers, oldest first, marking the ones that fail their own auth. */
export async function storeAuthChain(ctx: FederatedContext, chain: RoomEvent[]): Promise<void> {
  const byId = new Map(chain.map((e) => [e.eventId, e]));
  const stored = await getEvents(ctx.db, chain.flatMap((e) => authEventIds(e.pdu)).filter((id) => !byId.has(id)));
  const lookup = (id: string) => byId.get(id) ?? stored.get(id);
  const sorted = [...chain].sort((a, b) => a.pdu.depth - b.pdu.depth);
  const rejectedIds = new Set<string>([...stored.values()].filter((e) => e.rejected).map((e) => e.eventId));
  const rows: { event: RoomEvent; rejected?: string }[] = [];
  for (const e of sorted) {
    const authEvents = authEventIds(e.pdu).map(lookup).filter((x): x is RoomEvent => x !== undefined);
    const createEvent = ctx.model.stateEvent('m.room.create') ?? (e.pdu.type === 'm.room.create' ? undefined : sorted.find((x) => x.pdu.type === 'm.room.create'));
    const result = authorizeByAuthEvents(ctx.model.version, e, { authEvents, createEvent, isRejected: (id: string) => rejectedIds.has(id) });
    if (!result.allowed) rejectedIds.add(e.eventId);
    rows.push({ event: e, rejected: result.allowed ? undefined : result.reason });
  }
  await storeOutliers(ctx.db, ctx.model.roomId, rows);
  for (const r of rows) ctx.absent?.delete(r.event.eventId);
}

/** The state before an event, from its prev events' states (resolved when they differ). */
async function stateBefore(ctx: FederatedContext, prevs: StoredEvent[]): Promise<{ state: Map<string, string>; group?: { id: number; chainLength: number } }> {
  const groups = [...new Set(prevs.map((p) => p.stateGroup!))];
  if (groups.length === 1) {
    return { state: await stateOfGroup(ctx.db, groups[0]), group: { id: groups[0], chainLength: 0 } };
  }
  const sets = await Promise.all(groups.map((g) => stateOfGroup(ctx.db, g)));
  return { state: await resolveStates(ctx.db, ctx.model.version, sets) };
}

/** Asks `origin` for the events between our forward extremities and `event` (spec: get_missing_events). */
async function fetchMissing(ctx: FederatedContext, origin: string, event: RoomEvent): Promise<RoomEvent[]> {
  try {
    const res = await federationRequest<{ events?: unknown[] }>(ctx.env, origin, 'POST', `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(ctx.model.roomId)}`, {
      earliest_events: ctx.model.extremities.map((e) => e.eventId),
      latest_events: [event.eventId],
      limit: 10,
      min_depth: Math.max(0, ctx.model.depth - 10),
    });
    return (await checkedFromRemote(ctx, res.events ?? [])).sort((a, b) => a.pdu.depth - b.pdu.depth);
  } catch {
    return [];
  }
}

/** The state before an event whose prev events we cannot get: asked of the sending server. */
async function remoteStateBefore(ctx: FederatedContext, origin: string, event: RoomEvent): Promise<Map<string, string> | undefined> {
  try {
    const res = await federationRequest<{ pdus?: unknown[]; auth_chain?: unknown[] }>(
      ctx.env,
      origin,
      'GET',
      `/_matrix/federation/v1/state/${encodeURIComponent(ctx.model.roomId)}?event_id=${encodeURIComponent(event.eventId)}`,
    );
    const chain = await checkedFromRemote(ctx, [...(res.auth_chain ?? []), ...(res.pdus ?? [])]);
    await storeAuthChain(ctx, chain);
    const state = new Map<string, string>();
    const pdus = new Set((await checkedFromRemote(ctx, res.pdus ?? [])).map((e) => e.eventId));
    // What fails its own auth check is not state, whatever the sender claims.
    const stored = await getEvents(ctx.db, [...pdus]);
    for (const e of chain) if (pdus.has(e.eventId) && typeof e.pdu.state_key === 'string' && stored.has(e.eventId) && !stored.get(e.eventId)!.rejected) state.set(keyOf(e.pdu), e.eventId);
    return state;
  } catch {
    return undefined;
  }
}

/**
 * The common case: the event builds on exactly the room's forward extremities, so the state
 * before it is the model's current state (and group), and its auth events are current state
 * events. Returns undefined when the event is not in that case.
 */
function onCurrentState(model: RoomModel, event: RoomEvent): { authEvents: RoomEvent[] } | undefined {
  const prevIds = prevEventIds(event.pdu);
  if (model.stateGroup === null || prevIds.length !== model.extremities.length) return undefined;
  const extremities = new Set(model.extremities.map((e) => e.eventId));
  if (!prevIds.every((id) => extremities.has(id))) return undefined;
  const authIds = new Set(authEventIds(event.pdu));
  const authEvents: RoomEvent[] = [];
  for (const e of model.state.values()) if (authIds.has(e.eventId)) authEvents.push(e);
  return authEvents.length === authIds.size ? { authEvents } : undefined;
}

/** Passes the auth events and the current state (which is the state before, see onCurrentState). */
function passesOnCurrentState(model: RoomModel, event: RoomEvent, authEvents: RoomEvent[]): string | undefined {
  const byAuthEvents = authorizeByAuthEvents(model.version, event, { authEvents, createEvent: model.stateEvent('m.room.create'), isRejected: () => false });
  if (!byAuthEvents.allowed) return `auth events: ${byAuthEvents.reason}`;
  const byBefore = authorizeByState(model.version, event, model);
  if (!byBefore.allowed) return `state before: ${byBefore.reason}`;
  return undefined;
}

/**
 * A new event that changes no state (not a state event, not a redaction), built on the current
 * extremities and passing every check: it can join a group commit (persistPlainRun).
 */
export function acceptsAsPlain(ctx: FederatedContext, event: RoomEvent): boolean {
  const { pdu } = event;
  if (typeof pdu.state_key === 'string' || pdu.type === 'm.room.redaction' || !ctx.absent?.has(event.eventId)) return false;
  const fast = onCurrentState(ctx.model, event);
  return fast !== undefined && passesOnCurrentState(ctx.model, event, fast.authEvents) === undefined;
}

/**
 * Persists a run of such events, each built on the one before, in one transaction, as local
 * sends are (group commit); returns their stream positions. The model already holds the run's
 * last event as its extremity (the caller set it while checking the next events).
 */
export async function persistPlainRun(ctx: FederatedContext, run: RoomEvent[]): Promise<number[]> {
  const { model } = ctx;
  const writePush = ctx.pushActions ? await ctx.pushActions(run) : undefined;
  const result = await persistEvents(ctx.db, {
    roomId: model.roomId,
    baseState: new Map([...model.state].map(([k, e]) => [k, e.eventId])),
    baseGroup: model.stateGroup,
    baseChainLength: model.chainLength,
    batch: run.map((e) => describeForStorage(model, e, ctx.isLocal)),
    extremities: [run[run.length - 1].eventId],
    ...writePush,
  });
  for (const e of run) ctx.absent?.delete(e.eventId);
  return result.positions;
}

/** Accepts, soft-fails or rejects one checked event (missing prev events are fetched first). */
export async function receiveEvent(ctx: FederatedContext, origin: string, event: RoomEvent, depth = 0): Promise<Outcome> {
  const { model, db } = ctx;
  const { version } = model;
  if (!ctx.absent?.has(event.eventId)) {
    const have = (await getEvents(db, [event.eventId])).get(event.eventId);
    if (have && !have.outlier) return { eventId: event.eventId, accepted: have.streamPos !== null };
  }
  let prevIds = prevEventIds(event.pdu);
  let before: { state: Map<string, string>; group?: { id: number; chainLength: number } };
  let rejected: string | undefined;
  let softFailed: boolean;
  const fast = onCurrentState(model, event);
  if (fast) {
    // Current state events are never rejected; the state before is the current state, so the
    // check against it and the soft-fail check are one.
    before = { state: new Map([...model.state].map(([k, e]) => [k, e.eventId])), group: { id: model.stateGroup!, chainLength: model.chainLength } };
    rejected = passesOnCurrentState(model, event, fast.authEvents);
    softFailed = false;
  } else {
    // The graph before it: fetch what is missing, or failing that, the state the sender had.
    let prevs = [...(await getEvents(db, prevIds)).values()].filter((p) => !p.outlier && p.stateGroup !== null);
    if (prevs.length < prevIds.length && depth === 0) {
      for (const missing of await fetchMissing(ctx, origin, event)) {
        if (missing.eventId !== event.eventId) await receiveEvent(ctx, origin, missing, depth + 1);
      }
      prevs = [...(await getEvents(db, prevIds)).values()].filter((p) => !p.outlier && p.stateGroup !== null);
    }
    try {
      if (prevs.length === prevIds.length && prevs.length > 0) {
        before = await stateBefore(ctx, prevs);
      } else {
        const remote = await remoteStateBefore(ctx, origin, event);
        if (!remote) return { eventId: event.eventId, accepted: false, error: 'missing prev_events and no state for them' };
        before = { state: remote };
        prevIds = prevs.map((p) => p.eventId);
      }
    } catch (e) {
      if (e instanceof UnresolvableState) return { eventId: event.eventId, accepted: false, error: e.message };
      throw e;
    }

    await ensureAuthEvents(ctx, origin, event);
    const authStored = await getEvents(db, authEventIds(event.pdu));
    const rejectedAuth = new Set([...authStored.values()].filter((e) => e.rejected).map((e) => e.eventId));
    const byAuthEvents = authorizeByAuthEvents(version, event, { authEvents: [...authStored.values()], createEvent: model.stateEvent('m.room.create'), isRejected: (id: string) => rejectedAuth.has(id) });
    if (!byAuthEvents.allowed) rejected = `auth events: ${byAuthEvents.reason}`;

    const beforeEvents = await getEvents(db, [...before.state.values()]);
    if (!rejected) {
      const byBefore = authorizeByState(version, event, authStateOf(beforeEvents.values()));
      if (!byBefore.allowed) rejected = `state before: ${byBefore.reason}`;
    }
    softFailed = !rejected && !authorizeByState(version, event, model).allowed;
  }

  const accepted = !rejected && !softFailed;
  const isState = typeof event.pdu.state_key === 'string';
  const stateAfter = new Map(before.state);
  if (isState && !rejected) stateAfter.set(keyOf(event.pdu), event.eventId);

  let current: { before: Map<string, string>; after: Map<string, string>; afterIsEventState: boolean } | undefined;
  let extremities: string[] | undefined;
  if (accepted) {
    const currentBefore = new Map([...model.state].map(([k, e]) => [k, e.eventId]));
    const others = model.extremities.filter((e) => !prevIds.includes(e.eventId));
    extremities = [...others.map((e) => e.eventId), event.eventId];
    if (others.length === 0) {
      current = { before: currentBefore, after: stateAfter, afterIsEventState: true };
    } else {
      try {
        const resolved = await resolveStates(db, version, [currentBefore, stateAfter], new Map([[event.eventId, event.pdu]]));
        current = { before: currentBefore, after: resolved, afterIsEventState: false };
      } catch (e) {
        if (!(e instanceof UnresolvableState)) throw e;
        current = { before: currentBefore, after: stateAfter, afterIsEventState: true };
      }
    }
  }

  // Memberships that the new current state changes.
  const memberChanges: { userId: string; membership: string; eventId: string; sender: string; local: boolean }[] = [];
  let newStateEvents = new Map<string, StoredEvent>();
  if (current) {
    const changedIds = [...current.after].filter(([k, id]) => current!.before.get(k) !== id).map(([, id]) => id);
    newStateEvents = await getEvents(db, changedIds.filter((id) => id !== event.eventId));
    for (const [k, id] of current.after) {
      if (current.before.get(k) === id) continue;
      const [type, target] = splitStateKey(k);
      if (type !== 'm.room.member') continue;
      const pdu = id === event.eventId ? event.pdu : newStateEvents.get(id)?.pdu;
      if (!pdu) continue;
      memberChanges.push({ userId: target, membership: String(pdu.content.membership), eventId: id, sender: pdu.sender, local: ctx.isLocal(target) });
    }
  }

  const relation = event.pdu.content['m.relates_to'] as Record<string, unknown> | undefined;
  const replaced = isState ? before.state.get(keyOf(event.pdu)) : undefined;
  const writePush = accepted && ctx.pushActions ? await ctx.pushActions([event]) : undefined;
  const result = await persistFederatedEvent(db, {
    roomId: model.roomId,
    event,
    rejected,
    softFailed,
    stateBefore: before.state,
    stateBeforeGroup: before.group,
    current,
    extremities,
    memberChanges,
    redacts: event.pdu.type === 'm.room.redaction' ? redactsTarget(event.pdu, version) : undefined,
    relatesTo: typeof relation?.event_id === 'string' && typeof relation?.rel_type === 'string' ? relation.event_id : undefined,
    relType: typeof relation?.event_id === 'string' && typeof relation?.rel_type === 'string' ? (relation.rel_type as string) : undefined,
    replacesState: replaced !== event.eventId ? replaced : undefined,
    push: writePush,
    currentGroupWas: model.stateGroup,
  });
  ctx.absent?.delete(event.eventId);

  if (current && extremities) {
    // The model follows what was committed, its state group included (local events build on it).
    if (result.current) {
      model.stateGroup = result.current.id;
      model.chainLength = result.current.chainLength;
    }
    for (const k of [...model.state.keys()]) if (!current.after.has(k)) model.state.delete(k);
    for (const [k, id] of current.after) {
      if (model.state.get(k)?.eventId === id) continue;
      const e = id === event.eventId ? event : newStateEvents.get(id);
      if (e) model.state.set(k, { eventId: e.eventId, pdu: e.pdu });
    }
    if (event.pdu.type === 'm.room.redaction') model.redactState(event);
    // Extremities kept from before are in the model already.
    const held = new Map(model.extremities.map((e) => [e.eventId, e]));
    const others = extremities.filter((id) => id !== event.eventId);
    const missing = others.filter((id) => !held.has(id));
    const fetched = missing.length ? await getEvents(db, missing) : new Map<string, StoredEvent>();
    model.extremities = others
      .map((id) => held.get(id) ?? fetched.get(id))
      .filter((e): e is RoomEvent => e !== undefined)
      .map((e) => ({ eventId: e.eventId, pdu: e.pdu }))
      .concat([event]);
  }
  return { eventId: event.eventId, accepted, streamPos: result.streamPos ?? undefined, error: rejected ?? (softFailed ? 'soft-failed' : undefined) };
}

/** The servers of the room's joined members, ours excluded (where local events are sent). */
export function remoteServers(model: RoomModel, ownServer: string): string[] {
  const servers = new Set<string>();
  for (const user of model.members('join')) {
    const s = serverNameOf(user);
    if (s && s !== ownServer) servers.add(s);
  }
  return [...servers];
}
