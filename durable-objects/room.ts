// RoomDO: the room server, single writer of one room (addressed by idFromName(roomId)).
// Every intent goes through one queue: build on the current state, authorise, sign, then a whole
// batch of accepted events is persisted in one transaction (group commit) before any of them is
// acknowledged. The current state lives in memory and is rebuilt from Postgres on wake-up.
import { DurableObject } from 'cloudflare:workers';
import { config, type Env } from '../src/config';
import { pooledDb, type PooledDb } from '../src/db/client';
import * as q from '../src/db/queries/rooms';
import { checkCreateEvent, authResultToError } from '../src/matrix/auth-rules';
import { ErrCode, MatrixError } from '../src/matrix/errors';
import { serverNameOf } from '../src/matrix/ids';
import { roomVersion } from '../src/matrix/room-versions';
import { redactEvent } from '../src/matrix/redaction';
import { stateKey } from '../src/matrix/state-map';
import type { Pdu, RoomEvent } from '../src/matrix/types';
import { serverSigningKey } from '../src/services/federation/server-key';
import { resolveIntent, type Intent } from '../src/services/rooms/intents';
import { RoomModel } from '../src/services/rooms/model';
import { buildLocalEvent, describeForStorage, type Signer } from '../src/services/rooms/pipeline';
import { asRpcResult } from '../src/services/rpc';
import { PushRulesLoader } from '../src/services/push/loader';
import { pushWritesForBatch, type PushWrites } from '../src/services/push/room-events';
import { wakeUsers } from '../src/services/sync/wake';
import { sendToServers } from '../src/services/federation/outbound';
import { pduErrors } from '../src/services/federation/event-checks';
import { remoteServers, type FederatedContext } from '../src/services/rooms/federated';
import { receivePdus, type RoomReceiver } from '../src/services/rooms/receive-pdus';
import * as fed from '../src/services/rooms/federation-serve';
import { acceptSentMembership, authorisingUser, membershipTemplate, type RemoteMembership } from '../src/services/rooms/resident-membership';
import { adoptJoinedRoom, type SendJoinResult } from '../src/services/rooms/remote-join';
import { countersignInvite } from '../src/services/federation/invite';
import { strippedStateOf } from '../src/services/rooms/stripped-state';
import { serverAllowedByAcl } from '../src/matrix/server-acl';
import { TypingState } from '../src/services/rooms/typing';
import { typingEdu } from '../src/services/federation/room-edus';
import { storeReceipt } from '../src/services/rooms/receipts';
import * as read from '../src/services/rooms/read';
import * as rel from '../src/services/rooms/relations';
import type { Viewer } from '../src/services/rooms/serve';
import type { EventFilterSpec } from '../src/matrix/event-filter';
import { refuseBlockedInvite } from '../src/services/moderation/invite-permission';

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

  /** What a commit writes besides its events (see pushWritesForBatch). */
  async #pushActions(model: RoomModel, committed: RoomEvent[]): Promise<PushWrites> {
    this.#pushLoader ??= new PushRulesLoader(this.#pg);
    return pushWritesForBatch(this.#pg, this.#pushLoader, model, committed, this.#isLocal, config(this.env).forgetRoomsOnLeave);
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
      const version = roomVersion(room.version);
      const [stateEvents, extremities, redacted] = await Promise.all([
        q.currentStateEvents(this.#pg, roomId),
        q.extremityEvents(this.#pg, roomId),
        q.redactedStateIds(this.#pg, roomId),
      ]);
      const state = new Map<string, RoomEvent>();
      for (const e of stateEvents) {
        // Redacted state counts as its redacted form (spec: "Redactions"), for authorisation too.
        const held = redacted.has(e.eventId) ? { eventId: e.eventId, pdu: redactEvent(e.pdu, version) as unknown as Pdu } : e;
        state.set(stateKey(e.pdu.type, e.pdu.state_key!), held);
      }
      return new RoomModel(roomId, version, state, extremities, room.currentStateGroup, room.currentChainLength);
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
      // A local invitee who blocks invites fails the whole creation, before anything is stored.
      for (const i of intents) if (i.kind === 'membership' && i.action === 'invite' && this.#isLocal(i.target)) await refuseBlockedInvite(this.#pg, i.target);
      const signer = await this.#signer();
      for (const intent of intents) {
        try {
          const r = resolveIntent(model, intent);
          if ('existing' in r) continue;
          const event = await this.#countersignIfRemoteInvite(model, await buildLocalEvent(model, r.draft, signer));
          batch.push(describeForStorage(model, event, this.#isLocal));
          model.apply(event);
        } catch (e) {
          // The request implies a state the auth rules refuse (spec: createRoom, 400); an invitee's
          // server blocking the invite stays 403 M_INVITE_BLOCKED.
          if (e instanceof MatrixError && e.status === 403 && e.errcode !== ErrCode.INVITE_BLOCKED) throw new MatrixError(400, ErrCode.INVALID_ROOM_STATE, `Invalid initial state: ${e.message}`);
          throw e;
        }
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

  /**
   * Builds the intents on the model, then persists the accepted events in one transaction. A
   * retry of a transaction id inside the batch is answered with its original, once that is
   * stored (or fails with it). Stored transaction ids are not looked up first: a retry of one
   * makes the write fail, and the batch is built again (`checked`) answering it with the stored
   * event (retries are rare; the lookup was a round trip on every batch). When the write fails
   * otherwise, each intent is tried again alone, so that one event that cannot be stored fails
   * by itself (`alone`: no further retry).
   */
  async #commitBatch(items: Pending[], mode: 'optimistic' | 'checked' | 'alone' = 'optimistic'): Promise<void> {
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
    const accepted: { item: Pending; entry: q.NewEvent; retries: Pending[] }[] = [];
    const byTxn = new Map<string, (typeof accepted)[number]>();
    const txnOf = (it: Pending) => (it.intent.kind !== 'membership' ? it.intent.txn : undefined);
    let stored = new Map<string, string>();
    try {
      // A batch with a membership change looks first: building a remote invite asks the invitee's
      // server, which a second build would ask again.
      const look = mode !== 'optimistic' || items.some((it) => it.intent.kind === 'membership');
      if (look) stored = await q.findTxns(this.#pg, items.map(txnOf).filter((t) => t !== undefined));
    } catch (e) {
      for (const it of items) it.reject(e);
      return;
    }
    for (const item of items) {
      try {
        const { intent } = item;
        const txn = txnOf(item);
        const txnKey = txn && q.txnKey(txn);
        const original = txnKey ? byTxn.get(txnKey) : undefined;
        if (original) {
          original.retries.push(item);
          continue;
        }
        const repeat = txnKey ? stored.get(txnKey) : undefined;
        if (repeat) {
          item.resolve(repeat);
          continue;
        }
        let targetSender: string | undefined;
        if (intent.kind === 'redact') {
          // An event of another room is, for this room, an unknown event.
          const target = await q.getEvent(this.#pg, intent.target);
          targetSender = target?.roomId === model.roomId ? target.pdu.sender : undefined;
        }
        if (intent.kind === 'event') await rel.checkRelation(this.#pg, model.roomId, intent.content);
        if (intent.kind === 'membership' && intent.action === 'invite' && this.#isLocal(intent.target)) await refuseBlockedInvite(this.#pg, intent.target);
        const r = resolveIntent(model, intent, targetSender);
        if ('existing' in r) {
          item.resolve(r.existing);
          continue;
        }
        const event = await this.#countersignIfRemoteInvite(model, await buildLocalEvent(model, r.draft, signer));
        const a = { item, entry: { ...describeForStorage(model, event, this.#isLocal), txn }, retries: [] };
        accepted.push(a);
        model.apply(event);
        if (txnKey) byTxn.set(txnKey, a);
      } catch (e) {
        item.reject(e);
      }
    }
    if (accepted.length === 0) return;
    try {
      const push = await this.#pushActions(model, accepted.map((a) => a.entry.event));
      const result = await q.persistEvents(this.#pg, {
        roomId: model.roomId,
        baseState,
        baseGroup: base.stateGroup,
        baseChainLength: base.chainLength,
        batch: accepted.map((a) => a.entry),
        extremities: model.extremities.map((e) => e.eventId),
        ...push,
      });
      model.stateGroup = result.stateGroup;
      model.chainLength = result.chainLength;
      for (const a of accepted) for (const p of [a.item, ...a.retries]) p.resolve(a.entry.event.eventId);
      this.#announce(model, accepted.map((a) => a.entry.event), result.positions);
    } catch (e) {
      // Nothing was written: forget what the batch did to the model.
      model.state.clear();
      for (const [k, v] of base.state) model.state.set(k, v);
      model.extremities = base.extremities;
      const all = accepted.flatMap((a) => [a.item, ...a.retries]);
      if (mode === 'optimistic' && q.isTxnConflict(e)) return this.#commitBatch(all, 'checked');
      console.error(`[room] persisting ${accepted.length} events in ${model.roomId} failed:`, e);
      if (mode !== 'alone' && accepted.length > 1) {
        // Built on each other, the events are rebuilt one by one, each in its own transaction.
        for (const a of accepted) await this.#commitBatch([a.item, ...a.retries], 'alone');
        return;
      }
      for (const a of accepted) for (const p of [a.item, ...a.retries]) p.reject(new MatrixError(500, ErrCode.UNKNOWN, 'Could not store the event'));
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
      // A denied origin gets an error for each PDU (keyed by the ids it would have), none checked further.
      if (!serverAllowedByAcl(model.content('m.room.server_acl'), origin)) return pduErrors(model.version, pdus, 'Server is banned by the room ACL');
      return receivePdus(this.#receiver(model), origin, pdus);
    });
  }

  /** An invite of a user of another server needs that server's signature before it is stored. */
  async #countersignIfRemoteInvite(model: RoomModel, event: RoomEvent): Promise<RoomEvent> {
    const { pdu } = event;
    if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'invite' || this.#isLocal(pdu.state_key!)) return event;
    return countersignInvite(this.env, event, model.version.id, strippedStateOf(model, pdu.sender));
  }

  #federated(model: RoomModel): FederatedContext {
    return { env: this.env, db: this.#pg, model, isLocal: this.#isLocal, pushActions: (events) => this.#pushActions(model, events) };
  }

  /** What receiving events from other servers needs of this object. */
  #receiver(model: RoomModel): RoomReceiver {
    return {
      federated: this.#federated(model),
      exclusive: (fn) => this.#exclusive(fn),
      announce: (events, positions) => this.#announce(model, events, positions, false),
      forgetModel: () => (this.#model = undefined),
    };
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
      if (this.#typing.set(userId, typing, timeoutMs) || typing) {
        await this.#typingChanged(model);
        if (this.#isLocal(userId)) void sendToServers(this.env, remoteServers(model, config(this.env).serverName), [typingEdu(roomId, userId, typing, timeoutMs)]);
      }
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
      await storeReceipt(this.#federated(await this.#existing(roomId)), userId, receiptType, eventId, threadId);
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

  // Federation: serving other servers (only servers with a member in the room).

  #forServer<T>(roomId: string, origin: string, fn: (model: RoomModel) => Promise<T>) {
    return asRpcResult(async () => {
      const model = await this.#existing(roomId);
      fed.assertServerInRoom(model, origin);
      return fn(model);
    });
  }
  fedEvent(roomId: string, origin: string, eventId: string) {
    return this.#forServer(roomId, origin, (m) => fed.fetchEvent(this.#pg, m, eventId));
  }
  fedState(roomId: string, origin: string, eventId: string) {
    return this.#forServer(roomId, origin, (m) => fed.stateAt(this.#pg, m, eventId));
  }
  fedStateIds(roomId: string, origin: string, eventId: string) {
    return this.#forServer(roomId, origin, (m) => fed.stateIdsAt(this.#pg, m, eventId));
  }
  fedEventAuth(roomId: string, origin: string, eventId: string) {
    return this.#forServer(roomId, origin, (m) => fed.eventAuth(this.#pg, m, eventId));
  }
  fedBackfill(roomId: string, origin: string, from: string[], limit: number) {
    return this.#forServer(roomId, origin, (m) => fed.backfill(this.#pg, m, from, limit));
  }
  fedTimestampToEvent(roomId: string, origin: string, ts: number, dir: 'f' | 'b') {
    return this.#forServer(roomId, origin, (m) => fed.eventAtTimestamp(this.#pg, m, ts, dir));
  }
  fedMissingEvents(roomId: string, origin: string, earliest: string[], latest: string[], limit: number, minDepth: number) {
    return this.#forServer(roomId, origin, (m) => fed.missingEvents(this.#pg, m, earliest, latest, limit, minDepth));
  }

  /** make_join / make_leave / make_knock: a template the remote user's server signs. */
  makeMembership(roomId: string, origin: string, userId: string, membership: RemoteMembership, versions: string[] | undefined) {
    return asRpcResult(async () => {
      const model = await this.#existing(roomId);
      // A restricted room needs one of our members to vouch for the join (spec: "Restricted rooms").
      const rule = model.content('m.room.join_rules')?.join_rule;
      const restricted = membership === 'join' && (rule === 'restricted' || rule === 'knock_restricted') && model.version.restrictedJoins && model.membership(userId) !== 'invite';
      const via = restricted ? authorisingUser(model, this.#isLocal) : undefined;
      return membershipTemplate(model, origin, userId, membership, versions, via);
    });
  }

  /**
   * send_join / send_leave / send_knock: the signed membership event enters the room through the
   * receive pipeline; for a join the answer carries the state before it and the auth chain.
   */
  sendMembership(roomId: string, origin: string, eventId: string, raw: unknown, membership: RemoteMembership) {
    return asRpcResult(async () => acceptSentMembership(this.#receiver(await this.#existing(roomId)), origin, eventId, raw, membership));
  }

  // Federation: rooms that live elsewhere.

  /** Our user joined a remote room (send_join answered): the room begins here. */
  adoptJoin(roomId: string, versionId: string, joinPdu: Record<string, unknown>, eventId: string, result: SendJoinResult) {
    return asRpcResult(() =>
      this.#exclusive(async () => {
        const existing = await this.#load(roomId);
        if (existing?.membership(String(joinPdu.state_key)) === 'join') return { roomId };
        const model = await adoptJoinedRoom(this.env, this.#pg, this.#isLocal, roomId, roomVersion(versionId), { eventId, pdu: joinPdu as never }, result);
        this.#model = Promise.resolve(model);
        const pos = (await q.getEvents(this.#pg, [eventId])).get(eventId)?.streamPos ?? 0;
        this.#announce(model, [{ eventId, pdu: joinPdu as never }], [pos], false);
        return { roomId };
      }),
    );
  }
}
