// RoomDO: the room server, single writer of one room (addressed by idFromName(roomId)).
// Every intent goes through one queue: build on the current state, authorise, sign, then a whole
// batch of accepted events is persisted in one transaction (group commit) before any of them is
// acknowledged. The current state lives in memory and is rebuilt from Postgres on wake-up.
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../src/config';
import { pooledDb, type Db, type PooledDb } from '../src/db/client';
import * as q from '../src/db/queries/rooms';
import { checkCreateEvent, authResultToError } from '../src/matrix/auth-rules';
import { ErrCode, MatrixError } from '../src/matrix/errors';
import { serverNameOf } from '../src/matrix/ids';
import { roomVersion } from '../src/matrix/room-versions';
import { redactsTarget } from '../src/matrix/redaction';
import { stateKey } from '../src/matrix/state-map';
import type { RoomEvent } from '../src/matrix/types';
import { serverSigningKey } from '../src/services/federation/server-key';
import { resolveIntent, type Intent } from '../src/services/rooms/intents';
import { RoomModel } from '../src/services/rooms/model';
import { buildLocalEvent, describeForStorage, type Signer } from '../src/services/rooms/pipeline';
import { asRpcResult } from '../src/services/rpc';
import { PushRulesLoader } from '../src/services/push/loader';
import { pushActionsForBatch, withStreamPositions, type PendingPushAction } from '../src/services/push/room-events';
import { deletePushActionsForEvents, writePushActions } from '../src/db/queries/push';
import { wakeUsers } from '../src/services/sync/wake';
import { sendToServers } from '../src/services/federation/outbound';
import { checkReceivedPdu } from '../src/services/federation/event-checks';
import { receiveEvent, remoteServers, type FederatedContext } from '../src/services/rooms/federated';
import { TypingState } from '../src/services/rooms/typing';
import { putReceipt } from '../src/db/queries/receipts';
import * as read from '../src/services/rooms/read';
import * as rel from '../src/services/rooms/relations';
import type { Viewer } from '../src/services/rooms/serve';
import type { EventFilterSpec } from '../src/matrix/event-filter';

interface Pending {
  intent: Intent;
  resolve: (eventId: string) => void;
  reject: (e: unknown) => void;
}

/** Intents persisted together at most; a full queue drains in several transactions. */
const MAX_BATCH = 64;

export class RoomDO extends DurableObject<Env> {
  #db?: PooledDb;
  #model?: Promise<RoomModel | undefined>;
  #roomId?: string;
  #queue: Pending[] = [];
  #draining = false;
  /** Writes (local batches, received events) run one at a time, in order. */
  #writes: Promise<unknown> = Promise.resolve();

  #pushLoader?: PushRulesLoader;

  /**
   * Notification actions of new events for the local members (computed on the state the events
   * were applied to) and the writer that stores them with the events. A failure here never
   * fails a send: notifications are lost, not messages.
   */
  async #pushActions(model: RoomModel, committed: RoomEvent[]) {
    let pending: PendingPushAction[] = [];
    try {
      this.#pushLoader ??= new PushRulesLoader(this.#pg);
      pending = await pushActionsForBatch(this.#pg, this.#pushLoader, model, committed, this.#isLocal);
    } catch (e) {
      console.error('[room] computing push actions failed:', e);
    }
    const redacted = committed.map((e) => (e.pdu.type === 'm.room.redaction' ? redactsTarget(e.pdu, model.version) : undefined)).filter((x): x is string => !!x);
    return async (tx: Db, positions: Map<string, number>) => {
      if (pending.length) await writePushActions(tx, withStreamPositions(pending, positions));
      if (redacted.length) await deletePushActionsForEvents(tx, redacted);
    };
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(fn, fn);
    this.#writes = run.catch(() => undefined);
    return run;
  }

  get #pg(): PooledDb {
    this.#db ??= pooledDb(this.env).db;
    return this.#db;
  }

  #signer = async (): Promise<Signer> => ({ serverName: config(this.env).serverName, key: await serverSigningKey(this.env) });

  #isLocal = (userId: string) => serverNameOf(userId) === config(this.env).serverName;

  /** The room, loaded once per wake-up; undefined when it does not exist. */
  #load(roomId: string): Promise<RoomModel | undefined> {
    if (this.#roomId !== undefined && this.#roomId !== roomId) throw new Error(`RoomDO for ${this.#roomId} asked about ${roomId}`);
    this.#roomId = roomId;
    this.#model ??= (async () => {
      const room = await q.getRoom(this.#pg, roomId);
      if (!room) return undefined;
      const [stateEvents, extremities] = await Promise.all([q.currentStateEvents(this.#pg, roomId), q.extremityEvents(this.#pg, roomId)]);
      const state = new Map<string, RoomEvent>();
      for (const e of stateEvents) state.set(stateKey(e.pdu.type, e.pdu.state_key!), e);
      return new RoomModel(roomId, roomVersion(room.version), state, extremities, room.currentStateGroup, room.currentChainLength);
    })();
    this.#model.catch(() => (this.#model = undefined));
    return this.#model;
  }

  async #existing(roomId: string): Promise<RoomModel> {
    const model = await this.#load(roomId);
    if (!model) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown room');
    return model;
  }

  /**
   * Creates the room: the create event (built by the caller, which derived the room id from it
   * in v12) and the initial intents, all in one transaction.
   */
  create(roomId: string, createEvent: RoomEvent, intents: Intent[], published: boolean) {
    return asRpcResult(async () => {
      if (await this.#load(roomId)) throw new MatrixError(400, ErrCode.ROOM_IN_USE, 'Room already exists');
      const version = roomVersion(String(createEvent.pdu.content.room_version ?? '1'));
      const denied = authResultToError(checkCreateEvent(version, createEvent.pdu));
      if (denied) throw denied;
      const model = new RoomModel(roomId, version, new Map(), [], null, 0);
      const batch: q.NewEvent[] = [describeForStorage(model, createEvent, this.#isLocal)];
      model.apply(createEvent);
      const signer = await this.#signer();
      for (const intent of intents) {
        const r = resolveIntent(model, intent);
        if ('existing' in r) continue;
        const event = await buildLocalEvent(model, r.draft, signer);
        batch.push(describeForStorage(model, event, this.#isLocal));
        model.apply(event);
      }
      const result = await q.persistEvents(this.#pg, {
        roomId,
        createRoom: { roomId, version: version.id, creator: createEvent.pdu.sender, createdTs: createEvent.pdu.origin_server_ts, published },
        baseState: new Map(),
        baseGroup: null,
        baseChainLength: 0,
        batch,
        extremities: model.extremities.map((e) => e.eventId),
      });
      model.stateGroup = result.stateGroup;
      model.chainLength = result.chainLength;
      this.#model = Promise.resolve(model);
      this.#announce(model, batch.map((b) => b.event), result.positions);
      return { roomId, eventIds: batch.map((b) => b.event.eventId) };
    });
  }

  /** Queues an intent; resolves with the event id once the event is committed. */
  submit(roomId: string, intent: Intent) {
    return asRpcResult(async () => {
      await this.#existing(roomId);
      return { eventId: await this.#enqueue(intent) };
    });
  }

  #enqueue(intent: Intent): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#queue.push({ intent, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        await this.#exclusive(() => this.#commitBatch(batch));
      }
    } finally {
      this.#draining = false;
    }
  }

  async #commitBatch(items: Pending[]): Promise<void> {
    let model: RoomModel;
    try {
      model = await this.#existing(this.#roomId!);
    } catch (e) {
      for (const it of items) it.reject(e);
      return;
    }
    const baseState = new Map([...model.state].map(([k, e]) => [k, e.eventId]));
    const base = { extremities: model.extremities, stateGroup: model.stateGroup, chainLength: model.chainLength, state: new Map(model.state) };
    const signer = await this.#signer();
    const accepted: { item: Pending; entry: q.NewEvent }[] = [];
    const txnsInBatch = new Map<string, string>();
    for (const item of items) {
      try {
        const { intent } = item;
        const txn = intent.kind !== 'membership' ? intent.txn : undefined;
        const txnKey = txn && `${txn.userId}\u0000${txn.deviceId}\u0000${txn.scope}\u0000${txn.txnId}`;
        const repeat = txnKey ? txnsInBatch.get(txnKey) ?? (await q.findTxn(this.#pg, txn!)) : undefined;
        if (repeat) {
          item.resolve(repeat);
          continue;
        }
        let targetSender: string | undefined;
        if (intent.kind === 'redact') targetSender = (await q.getEvent(this.#pg, intent.target))?.pdu.sender;
        if (intent.kind === 'event') await rel.checkRelation(this.#pg, model.roomId, intent.content);
        const r = resolveIntent(model, intent, targetSender);
        if ('existing' in r) {
          item.resolve(r.existing);
          continue;
        }
        const event = await buildLocalEvent(model, r.draft, signer);
        accepted.push({ item, entry: { ...describeForStorage(model, event, this.#isLocal), txn } });
        model.apply(event);
        if (txnKey) txnsInBatch.set(txnKey, event.eventId);
      } catch (e) {
        item.reject(e);
      }
    }
    if (accepted.length === 0) return;
    try {
      const withPositions = await this.#pushActions(model, accepted.map((a) => a.entry.event));
      const result = await q.persistEvents(this.#pg, {
        roomId: model.roomId,
        baseState,
        baseGroup: base.stateGroup,
        baseChainLength: base.chainLength,
        batch: accepted.map((a) => a.entry),
        extremities: model.extremities.map((e) => e.eventId),
        withPositions,
      });
      model.stateGroup = result.stateGroup;
      model.chainLength = result.chainLength;
      for (const a of accepted) a.item.resolve(a.entry.event.eventId);
      this.#announce(model, accepted.map((a) => a.entry.event), result.positions);
    } catch (e) {
      // Nothing was written: forget what the batch did to the model.
      model.state.clear();
      for (const [k, v] of base.state) model.state.set(k, v);
      model.extremities = base.extremities;
      console.error(`[room] persisting ${accepted.length} events in ${model.roomId} failed:`, e);
      for (const a of accepted) a.item.reject(new MatrixError(500, ErrCode.UNKNOWN, 'Could not store the event'));
    }
  }

  /**
   * After a commit: wake the local users the new events concern (members, and anyone whose
   * membership changed), and hand locally created events to the other servers in the room.
   */
  #announce(model: RoomModel, committed: RoomEvent[], positions: number[], local = true): void {
    const users = new Set(this.#localMembers(model, ['join', 'invite', 'knock']));
    const servers = new Set(remoteServers(model, config(this.env).serverName));
    for (const e of committed) {
      if (e.pdu.type !== 'm.room.member') continue;
      const target = e.pdu.state_key!;
      if (this.#isLocal(target)) users.add(target);
      // A remote user who leaves or is kicked or banned must still hear of it.
      else if (serverNameOf(target)) servers.add(serverNameOf(target)!);
    }
    void wakeUsers(this.env, users, { e: positions[positions.length - 1] });
    if (local && servers.size) void sendToServers(this.env, servers, committed.map((e) => ({ kind: 'pdu' as const, body: e.pdu as unknown as Record<string, unknown> })));
  }

  // Federation: events from other servers.

  /**
   * Events a server sent us for this room (a transaction's PDUs, or one event of a join or
   * invite flow). Checked outside the write queue, then accepted one by one inside it.
   */
  receive(roomId: string, origin: string, pdus: unknown[]) {
    return asRpcResult(async () => {
      const model = await this.#existing(roomId);
      const checked = await Promise.all(pdus.map((p) => checkReceivedPdu(this.env, this.#pg, model.version, p)));
      return this.#exclusive(async () => {
        const results: Record<string, { error?: string }> = {};
        const good = checked.filter((c): c is Extract<typeof c, { ok: true }> => c.ok).sort((a, b) => a.event.pdu.depth - b.event.pdu.depth);
        for (const c of checked) if (!c.ok && c.eventId) results[c.eventId] = { error: c.error };
        for (const c of good) {
          if (c.event.pdu.room_id !== roomId) {
            results[c.event.eventId] = { error: 'event is for another room' };
            continue;
          }
          try {
            const outcome = await receiveEvent(this.#federated(model), origin, c.event);
            results[c.event.eventId] = outcome.error ? { error: outcome.error } : {};
            if (outcome.accepted && outcome.streamPos !== undefined) this.#announce(model, [c.event], [outcome.streamPos], false);
          } catch (e) {
            console.error(`[federation] event ${c.event.eventId} from ${origin} failed:`, e);
            results[c.event.eventId] = { error: 'could not process the event' };
            this.#model = undefined; // reload from what was committed
          }
        }
        return results;
      });
    });
  }

  #federated(model: RoomModel): FederatedContext {
    return { env: this.env, db: this.#pg, model, isLocal: this.#isLocal, pushActions: (event) => this.#pushActions(model, [event]) };
  }

  #localMembers(model: RoomModel, memberships: string[]): string[] {
    return memberships.flatMap((m) => model.members(m)).filter(this.#isLocal);
  }

  // Typing notifications (ephemeral, in memory; expired by alarm).

  #typing = new TypingState();

  typing(roomId: string, userId: string, typing: boolean, timeoutMs: number) {
    return asRpcResult(async () => {
      const model = await this.#existing(roomId);
      if (model.membership(userId) !== 'join') throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are not in this room');
      if (this.#typing.set(userId, typing, timeoutMs) || typing) await this.#typingChanged(model);
      return {};
    });
  }

  async #typingChanged(model: RoomModel): Promise<void> {
    const next = this.#typing.nextExpiry();
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
    await wakeUsers(this.env, this.#localMembers(model, ['join']), { typing: { roomId: model.roomId, userIds: this.#typing.users(), t: Date.now() } });
  }

  override async alarm(): Promise<void> {
    const model = this.#roomId ? await this.#load(this.#roomId) : undefined;
    if (model && this.#typing.expire()) await this.#typingChanged(model);
  }

  // Receipts.

  receipt(roomId: string, userId: string, receiptType: string, eventId: string, threadId: string) {
    return asRpcResult(async () => {
      const model = await this.#existing(roomId);
      if (model.membership(userId) !== 'join') throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are not in this room');
      const event = await q.getEvent(this.#pg, eventId);
      if (!event || event.roomId !== roomId || event.streamPos === null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
      const pos = await putReceipt(this.#pg, { roomId, userId, receiptType, threadId, eventId, eventPos: event.streamPos, ts: Date.now() });
      if (pos !== undefined) {
        // Private receipts are for their owner's devices only.
        await wakeUsers(this.env, receiptType === 'm.read.private' ? [userId] : this.#localMembers(model, ['join']), { m: pos });
      }
      return {};
    });
  }

  // Reads. They run beside the write queue: the model they see is always a committed state or
  // one being committed, and everything they fetch is committed.

  /** The user's membership, and the room version (for handlers that need them). */
  info(roomId: string, userId: string) {
    return asRpcResult(async () => {
      const model = await this.#existing(roomId);
      return { version: model.version.id, membership: model.membership(userId) ?? null };
    });
  }
  state(roomId: string, viewer: Viewer) {
    return asRpcResult(async () => read.getState(this.#pg, await this.#existing(roomId), viewer));
  }
  stateEvent(roomId: string, viewer: Viewer, type: string, key: string) {
    return asRpcResult(async () => read.getStateEvent(this.#pg, await this.#existing(roomId), viewer, type, key));
  }
  event(roomId: string, viewer: Viewer, eventId: string) {
    return asRpcResult(async () => read.getRoomEvent(this.#pg, await this.#existing(roomId), viewer, eventId));
  }
  messages(roomId: string, viewer: Viewer, query: read.MessagesQuery) {
    return asRpcResult(async () => read.messages(this.#pg, await this.#existing(roomId), viewer, query));
  }
  context(roomId: string, viewer: Viewer, eventId: string, limit: number, filter?: EventFilterSpec) {
    return asRpcResult(async () => read.context(this.#pg, await this.#existing(roomId), viewer, eventId, limit, filter));
  }
  members(roomId: string, viewer: Viewer, opts: { at?: number; membership?: string; notMembership?: string }) {
    return asRpcResult(async () => read.members(this.#pg, await this.#existing(roomId), viewer, opts));
  }
  relations(roomId: string, viewer: Viewer, query: rel.RelationsQuery) {
    return asRpcResult(async () => rel.relations(this.#pg, await this.#existing(roomId), viewer, query));
  }
  threads(roomId: string, viewer: Viewer, query: { include: 'all' | 'participated'; from?: number; limit: number }) {
    return asRpcResult(async () => rel.threads(this.#pg, await this.#existing(roomId), viewer, query));
  }
  joinedMembers(roomId: string, userId: string) {
    return asRpcResult(async () => read.joinedMembers(await this.#existing(roomId), userId));
  }
}
