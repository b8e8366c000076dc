// UserDO: one object per local user. It holds the user's database connection and the exact cache
// of their sessions, so an authenticated request costs one RPC and no query; and it is the single
// writer of the user's data (account, devices, profile, account data, filters), which keeps the
// user's streams ordered. Methods are thin: the logic lives in src/services/account/.
import { DurableObject } from 'cloudflare:workers';
import type { Env, RateSpec } from '../src/config';
import { pooledDb } from '../src/db/client';
import { MatrixError } from '../src/http/errors';
import { asRpcResult } from '../src/services/rpc';
import * as account from '../src/services/account/account';
import * as accountData from '../src/services/account/account-data';
import { getAccountData as readAccountData } from '../src/db/queries/user-data';
import { TAG_EVENT_TYPE, tagsOf, withTag } from '../src/matrix/room-tags';
import * as devices from '../src/services/account/devices';
import * as filters from '../src/services/account/filters';
import * as profile from '../src/services/account/profile';
import * as sessions from '../src/services/account/sessions';
import * as loginTokens from '../src/services/login-token/tokens';
import { SessionCache, type UserScope } from '../src/services/account/scope';
import { BucketMap } from '../src/services/rate-limit/bucket';
import { SyncWaiters } from '../src/services/sync/waiters';
import { keysClaimed, type News } from '../src/services/sync/wake';
import type { SyncParams } from '../src/services/sync/params';
import { runSync } from '../src/services/sync/run';
import { PresenceTracker } from '../src/services/sync/presence';
import * as e2ee from '../src/services/e2ee';
import * as pushRules from '../src/services/push/rules';
import type { SlidingSyncRequest } from '../src/services/sliding-sync/request';
import { runSlidingSync, SlidingSyncState } from '../src/services/sliding-sync/run';
import type { NewPushRule, PushAction, PushRuleKind } from '../src/matrix/push-rules';
import * as remoteDevices from '../src/services/federation/device-lists';
import * as remotePresence from '../src/services/federation/presence';
import { setAccountFlag, type ModerationFlag } from '../src/services/moderation/account-flags';

const TOUCH_INTERVAL_MS = 5 * 60_000;

export class UserDO extends DurableObject<Env> {
  #scope?: UserScope;
  #queue: Promise<unknown> = Promise.resolve();
  #touched = new Map<string, number>();
  #loginBuckets = new BucketMap();
  readonly #waiters = new SyncWaiters();
  /**
   * Database uses (connections taken from the pool: one per query, or per transaction) since the
   * object started. Read by tests, which assert that a sync with nothing new makes none.
   */
  dbUses = 0;

  #for(userId: string): UserScope {
    if (this.#scope) {
      if (this.#scope.userId !== userId) throw new Error(`UserDO for ${this.#scope.userId} asked about ${userId}`);
      return this.#scope;
    }
    const { db, pool } = pooledDb(this.env);
    pool.on('acquire', () => void this.dbUses++);
    this.#scope = {
      db,
      env: this.env,
      userId,
      sessions: new SessionCache(),
      serial: (fn) => {
        const run = this.#queue.then(fn, fn);
        this.#queue = run.catch(() => undefined);
        return run;
      },
    };
    return this.#scope;
  }

  /** Runs a service call; a MatrixError comes back as a value (see src/services/rpc.ts). */
  #call<T>(userId: string, fn: (s: UserScope) => Promise<T>, write = false) {
    return asRpcResult(() => {
      const scope = this.#for(userId);
      return write ? scope.serial(() => fn(scope)) : fn(scope);
    });
  }

  /**
   * A write that changes devices' key counts; the cached counts are dropped after it (all devices
   * when `deviceIds` is omitted). After, not before: a sync that read the counts while the write
   * ran then cannot keep what it read (see key-counts.ts).
   */
  #changingKeys<T>(userId: string, fn: (s: UserScope) => Promise<T>, deviceIds?: string[]) {
    return this.#call(userId, async (s) => {
      try {
        return await fn(s);
      } finally {
        this.#waiters.keyCounts.forget(deviceIds);
      }
    }, true);
  }

  /** A locked account's session is returned too: the Worker refuses it everywhere but logout. */
  authenticate(userId: string, tokenHash: string, seen?: { ip: string | null; userAgent: string | null }) {
    return this.#call(userId, async (s) => {
      const requester = await sessions.authenticate(s, tokenHash, { allowLocked: true });
      if (seen) this.#touch(s, requester.deviceId, seen);
      return requester;
    });
  }

  #touch(s: UserScope, deviceId: string, seen: { ip: string | null; userAgent: string | null }): void {
    const now = Date.now();
    if (now - (this.#touched.get(deviceId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.#touched.set(deviceId, now);
    devices.touchDevice(s, deviceId, seen.ip, seen.userAgent, now).catch((e) => console.warn(`[user] last-seen update failed: ${e}`));
  }

  register(userId: string, input: account.RegisterInput) {
    return this.#call(userId, (s) => account.register(s, input), true);
  }

  /**
   * Login attempts per account are limited here, where every attempt for the account passes.
   * `limits` comes from the Worker's configuration (null when rate limiting is off).
   */
  login(userId: string, input: account.LoginInput, limits: { attempts: RateSpec; failures: RateSpec } | null) {
    return this.#call(userId, async (s) => {
      if (limits) {
        // After too many failures even the right password waits (as Synapse's rc_login.failed_attempts).
        const wait = Math.max(this.#loginBuckets.wait('failure', limits.failures), this.#loginBuckets.take('attempt', limits.attempts));
        if (wait > 0) throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many login attempts for this account', { retry_after_ms: wait });
      }
      try {
        return await account.login(s, input);
      } catch (e) {
        if (limits && e instanceof MatrixError && e.errcode === 'M_FORBIDDEN') this.#loginBuckets.take('failure', limits.failures);
        throw e;
      }
    }, true);
  }

  checkPassword(userId: string, password: string) {
    return this.#call(userId, (s) => account.checkPassword(s, password));
  }
  refresh(userId: string, refreshTokenHash: string, tokenLifetimeMs: number) {
    return this.#call(userId, (s) => sessions.refresh(s, refreshTokenHash, tokenLifetimeMs), true);
  }
  logout(userId: string, deviceId: string) {
    return this.#call(userId, (s) => sessions.logoutDevice(s, deviceId), true);
  }
  logoutAll(userId: string) {
    return this.#call(userId, (s) => sessions.logoutAll(s), true);
  }
  changePassword(userId: string, passwordHash: string, logoutDevices: boolean, keepDeviceId?: string) {
    return this.#call(userId, (s) => account.changePassword(s, passwordHash, logoutDevices, keepDeviceId), true);
  }
  deactivate(userId: string) {
    return this.#call(userId, (s) => account.deactivate(s), true);
  }
  /** A server admin suspends or locks this account (src/services/moderation/). */
  setModerationFlag(userId: string, flag: ModerationFlag, value: boolean) {
    return this.#call(userId, (s) => setAccountFlag(s, flag, value), true);
  }

  listDevices(userId: string) {
    return this.#call(userId, (s) => devices.listDevices(s));
  }
  getDevice(userId: string, deviceId: string) {
    return this.#call(userId, (s) => devices.getDevice(s, deviceId));
  }
  renameDevice(userId: string, deviceId: string, displayName: string | null) {
    return this.#call(userId, (s) => devices.renameDevice(s, deviceId, displayName), true);
  }
  deleteDevices(userId: string, deviceIds: string[]) {
    return this.#changingKeys(userId, (s) => sessions.deleteDevices(s, deviceIds), deviceIds);
  }

  setProfileField(userId: string, key: string, value: unknown) {
    return this.#call(userId, (s) => profile.setField(s, key, value), true);
  }
  deleteProfileField(userId: string, key: string) {
    return this.#call(userId, (s) => profile.deleteField(s, key), true);
  }

  getAccountData(userId: string, roomId: string, type: string) {
    return this.#call(userId, (s) => accountData.getAccountData(s, roomId, type));
  }
  putAccountData(userId: string, roomId: string, type: string, content: Record<string, unknown>) {
    return this.#call(userId, async (s) => {
      const pos = await accountData.putAccountData(s, roomId, type, content);
      // The user's other devices (and this one: matrix-js-sdk waits for the echo) learn it now, not at their next timeout.
      this.#waiters.notify({ m: pos });
      return pos;
    }, true);
  }

  /** Sets (`data`) or removes (null) one room tag: m.tag is read, changed and written in the write queue. */
  setRoomTag(userId: string, roomId: string, tag: string, data: Record<string, unknown> | null) {
    return this.#call(userId, async (s) => {
      const content = (await readAccountData(s.db, userId, roomId, TAG_EVENT_TYPE)) as Record<string, unknown> | undefined;
      if (data === null && !(tag in tagsOf(content))) return;
      this.#waiters.notify({ m: await accountData.putAccountData(s, roomId, TAG_EVENT_TYPE, withTag(content, tag, data)) });
    }, true);
  }

  createFilter(userId: string, filter: Record<string, unknown>) {
    return this.#call(userId, (s) => filters.createFilter(s, filter), true);
  }
  getFilter(userId: string, filterId: string) {
    return this.#call(userId, (s) => filters.getFilter(s, filterId));
  }

  // Sync

  /** Something concerning the user was committed: wake the parked /sync requests. */
  wake(userId: string, news: News): void {
    this.#for(userId);
    this.#waiters.notify(news);
  }

  /** GET /sync: authenticates, then computes or long-polls in this object (see src/services/sync/). */
  sync(userId: string, tokenHash: string, params: SyncParams, seen: { ip: string | null; userAgent: string | null }) {
    return this.#call(userId, async (s) => {
      const requester = await sessions.authenticate(s, tokenHash);
      this.#touch(s, requester.deviceId, seen);
      if (params.setPresence !== 'offline') await this.#presence.seen(s, params.setPresence);
      return runSync(s, requester.deviceId, params, this.#waiters, this.#lazySent(requester.deviceId));
    });
  }

  #lazy = new Map<string, Map<string, Set<string>>>();
  #lazySent(deviceId: string): Map<string, Set<string>> {
    let m = this.#lazy.get(deviceId);
    if (!m) this.#lazy.set(deviceId, (m = new Map()));
    return m;
  }

  readonly #presence = new PresenceTracker(this.env, this.#waiters);

  setPresence(userId: string, state: 'online' | 'offline' | 'unavailable', statusMsg: string | null | undefined) {
    return this.#call(userId, (s) => this.#presence.set(s, state, statusMsg), true);
  }

  // End-to-end encryption (src/services/e2ee/): writes of a user's keys, key claims from their
  // devices and messages into their inbox all pass here, one at a time.

  uploadKeys(userId: string, deviceId: string, input: e2ee.keys.UploadInput) {
    return this.#changingKeys(userId, (s) => e2ee.keys.uploadKeys(s, deviceId, input), [deviceId]);
  }
  /** JSON text: see e2ee.keys.queryKeysJson. */
  queryKeys(userId: string, query: [string, string[]][]) {
    return this.#call(userId, (s) => e2ee.keys.queryKeysJson(s.db, userId, new Map(query)));
  }
  /** Claims keys of local users' devices for this user (invariant 5: each one-time key at most once); JSON text. */
  claimKeys(userId: string, wanted: e2ee.keys.ClaimWanted) {
    return this.#call(userId, async (s) => {
      const { json, readers } = await e2ee.keys.claimKeysJson(s.db, wanted);
      // Devices a key (one-time or fallback) was handed out for have new counts: the objects
      // that keep them drop them, this one included.
      const own = readers.get(userId);
      if (own) this.#waiters.keyCounts.forget(own);
      readers.delete(userId);
      await keysClaimed(this.env, readers);
      return json;
    });
  }
  /** Another user's object claimed keys of these devices (see src/services/sync/key-counts.ts). */
  keyCountsChanged(userId: string, deviceIds: string[]): void {
    this.#for(userId);
    this.#waiters.keyCounts.forget(deviceIds);
  }
  keyChanges(userId: string, from: e2ee.deviceLists.StreamPoint, to: e2ee.deviceLists.StreamPoint) {
    return this.#call(userId, (s) => e2ee.keys.keyChanges(s.db, userId, from, to));
  }
  uploadCrossSigningKeys(userId: string, upload: e2ee.crossSigning.CrossSigningUpload, authenticated: boolean) {
    return this.#call(userId, (s) => e2ee.crossSigning.uploadCrossSigningKeys(s, upload, authenticated), true);
  }
  uploadSignatures(userId: string, body: Record<string, unknown>) {
    return this.#call(userId, (s) => e2ee.crossSigning.uploadSignatures(s, body), true);
  }

  claimToDeviceTxn(userId: string, deviceId: string, txnId: string) {
    return this.#call(userId, (s) => e2ee.toDevice.claimTxn(s, deviceId, txnId));
  }
  releaseToDeviceTxn(userId: string, deviceId: string, txnId: string) {
    return this.#call(userId, (s) => e2ee.toDevice.releaseTxn(s, deviceId, txnId));
  }
  /** To-device messages for this user, from `sender`. */
  deliverToDevice(userId: string, sender: string, type: string, byDevice: e2ee.toDevice.DeviceMessages) {
    return this.#call(userId, (s) => e2ee.toDevice.deliver(s, sender, type, byDevice), true);
  }

  createKeyBackup(userId: string, body: e2ee.backup.VersionBody) {
    return this.#call(userId, (s) => e2ee.backup.createVersion(s, body), true);
  }
  getKeyBackup(userId: string, version?: string) {
    return this.#call(userId, (s) => e2ee.backup.getVersion(s, version));
  }
  updateKeyBackup(userId: string, version: string, body: e2ee.backup.VersionBody) {
    return this.#call(userId, (s) => e2ee.backup.updateVersion(s, version, body), true);
  }
  deleteKeyBackup(userId: string, version: string) {
    return this.#call(userId, (s) => e2ee.backup.deleteVersion(s, version), true);
  }
  putBackupKeys(userId: string, version: string, rooms: Record<string, Record<string, e2ee.backup.KeyBackupData>>) {
    return this.#call(userId, (s) => e2ee.backup.putKeys(s, version, rooms), true);
  }
  getBackupKeys(userId: string, version: string, roomId?: string, sessionId?: string) {
    return this.#call(userId, (s) => e2ee.backup.getKeys(s, version, roomId, sessionId));
  }
  deleteBackupKeys(userId: string, version: string, roomId?: string, sessionId?: string) {
    return this.#call(userId, (s) => e2ee.backup.deleteKeys(s, version, roomId, sessionId), true);
  }

  putDehydratedDevice(userId: string, body: Record<string, unknown>) {
    return this.#changingKeys(userId, (s) => e2ee.dehydrated.putDehydratedDevice(s, body));
  }
  getDehydratedDevice(userId: string) {
    return this.#call(userId, (s) => e2ee.dehydrated.getDehydratedDevice(s));
  }
  deleteDehydratedDevice(userId: string) {
    return this.#call(userId, (s) => e2ee.dehydrated.deleteDehydratedDevice(s), true);
  }
  dehydratedDeviceEvents(userId: string, deviceId: string, since: string | undefined, limit: number) {
    return this.#call(userId, (s) => e2ee.dehydrated.dehydratedEvents(s, deviceId, since, limit), true);
  }
  // End of end-to-end encryption

  // Push rules (src/services/push/rules.ts): each change is written as m.push_rules account data,
  // and this user's parked syncs are woken with its position.
  getPushRules(userId: string) {
    return this.#call(userId, (s) => pushRules.getRuleset(s));
  }
  putPushRule(userId: string, kind: PushRuleKind, ruleId: string, rule: NewPushRule, placement: pushRules.Placement) {
    return this.#call(userId, async (s) => this.#pushRulesChanged(await pushRules.putRule(s, kind, ruleId, rule, placement)), true);
  }
  deletePushRule(userId: string, kind: PushRuleKind, ruleId: string) {
    return this.#call(userId, async (s) => this.#pushRulesChanged(await pushRules.deleteRule(s, kind, ruleId)), true);
  }
  setPushRuleAttribute(userId: string, kind: PushRuleKind, ruleId: string, set: { enabled: boolean } | { actions: PushAction[] }) {
    return this.#call(userId, async (s) => this.#pushRulesChanged(await pushRules.setRuleAttribute(s, kind, ruleId, set)), true);
  }
  #pushRulesChanged(accountDataPos: number): void {
    this.#waiters.notify({ m: accountDataPos });
  }
  // End of push rules

  // Login tokens (src/services/login-token/): m.login.token spends a token from /login/get_token.
  // Tokens are unguessable, so only the per-address login limit (in the Worker) applies.
  loginWithToken(userId: string, input: loginTokens.TokenLoginInput) {
    return this.#call(userId, (s) => loginTokens.loginWithToken(s, input), true);
  }
  // End of login tokens

  // Remote users (src/services/federation/): the object of a user of another server is the single
  // writer of what we keep about them, so their updates apply one at a time, in order.
  remoteDeviceListUpdate(userId: string, update: remoteDevices.DeviceUpdate) {
    return this.#call(userId, (s) => remoteDevices.applyDeviceUpdate(s, update), true);
  }
  remoteSigningKeyUpdate(userId: string, update: { master_key?: unknown; self_signing_key?: unknown }) {
    return this.#call(userId, (s) => remoteDevices.applySigningKeyUpdate(s, update), true);
  }
  remotePresence(userId: string, presence: remotePresence.RemotePresence) {
    return this.#call(userId, (s) => remotePresence.applyRemotePresence(s, presence), true);
  }
  // End of remote users

  // Sliding sync (simplified sliding sync, MSC4186; src/services/sliding-sync/): connections are
  // kept in this object's memory and its own SQLite storage; long-polls park with /sync's.
  #slidingSync?: SlidingSyncState;

  slidingSync(userId: string, tokenHash: string, request: SlidingSyncRequest, seen: { ip: string | null; userAgent: string | null }) {
    return this.#call(userId, async (s) => {
      const requester = await sessions.authenticate(s, tokenHash);
      this.#touch(s, requester.deviceId, seen);
      if (request.setPresence !== 'offline') await this.#presence.seen(s, request.setPresence);
      this.#slidingSync ??= new SlidingSyncState(this.ctx.storage);
      return runSlidingSync(s, requester.deviceId, request, this.#waiters, this.#slidingSync);
    });
  }
  // End of sliding sync
}
