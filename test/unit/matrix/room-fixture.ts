// Test rooms built from named events. Event ids are `$NAME` (v3+) or `$NAME:example.com`
// (v1–v2); hashes and signatures are placeholders, since auth rules and state resolution
// never read them. Each event's auth_events come from the auth events selection over the
// state before it, as a real server would choose them.

import { selectAuthEvents } from '../../../src/matrix/auth-events';
import { type AuthState } from '../../../src/matrix/auth-rules/index';
import { resolveState } from '../../../src/matrix/state-resolution/index';
import { roomVersion, type RoomVersion } from '../../../src/matrix/room-versions';
import { stateKey, type StateMap } from '../../../src/matrix/state-map';
import type { JsonObject, Pdu, RoomEvent } from '../../../src/matrix/types';

export const ALICE = '@alice:example.com';
export const BOB = '@bob:example.com';
export const CHARLIE = '@charlie:example.com';
export const ELLA = '@ella:example.com';
export const ZARA = '@zara:example.com';
export const EVE = '@eve:evil.example';

export interface EventSpec {
  type: string;
  sender: string;
  stateKey?: string;
  content?: JsonObject;
  /** Names of prev events; default: the previous event added. */
  prev?: string[];
  /** Names of auth events, overriding the selection. */
  auth?: string[];
  /** Extra top-level fields (redacts, signatures, room_id override ...). */
  extra?: JsonObject;
}

export class TestRoom {
  readonly version: RoomVersion;
  readonly events = new Map<string, Pdu>();
  /** State after each event, by event id. */
  readonly stateAfter = new Map<string, StateMap>();
  roomId: string;
  private ts = 0;
  private last: string | undefined;

  constructor(versionId: string, roomId = '!room:example.com') {
    this.version = roomVersion(versionId);
    this.roomId = this.version.roomIdFormat === 'create-event' ? '!CREATE' : roomId;
  }

  id(name: string): string {
    return this.version.eventIdFormat === 'v1' ? `$${name}:example.com` : `$${name}`;
  }

  event(name: string): RoomEvent {
    const id = this.id(name);
    const pdu = this.events.get(id);
    if (!pdu) throw new Error(`no event ${name}`);
    return { eventId: id, pdu };
  }

  /** The state before an event with these prev events: resolved when there are several. */
  stateBefore(prevIds: string[]): StateMap {
    if (prevIds.length === 0) return new Map();
    const states = prevIds.map((p) => this.stateAfter.get(p)!);
    if (states.length === 1) return new Map(states[0]);
    return resolveState(this.version, { stateSets: states, events: this.events });
  }

  /** Builds an event without adding it (for auth tests). */
  build(name: string, spec: EventSpec): RoomEvent {
    const prevIds = (spec.prev ?? (this.last ? [this.last] : [])).map((p) => (p.startsWith('$') ? p : this.id(p)));
    const before = this.stateBefore(prevIds);
    const pdu: JsonObject = {
      type: spec.type,
      sender: spec.sender,
      room_id: this.roomId,
      content: spec.content ?? {},
      origin_server_ts: ++this.ts,
      depth: Math.max(0, ...prevIds.map((p) => this.events.get(p)!.depth)) + 1,
      hashes: { sha256: 'AAAA' },
      signatures: { 'example.com': { 'ed25519:1': 'AAAA' } },
    };
    if (spec.stateKey !== undefined) pdu.state_key = spec.stateKey;
    if (this.version.roomIdFormat === 'create-event' && spec.type === 'm.room.create') delete pdu.room_id;
    const authIds = spec.auth
      ? spec.auth.map((a) => this.id(a))
      : selectAuthEvents(this.version, pdu as unknown as Pdu, (t, s) => before.get(stateKey(t, s)));
    const ref = (id: string) => (this.version.eventIdFormat === 'v1' ? [id, { sha256: 'AAAA' }] : id);
    pdu.prev_events = prevIds.map(ref);
    pdu.auth_events = authIds.map(ref);
    const id = this.id(name);
    if (this.version.eventIdFormat === 'v1') pdu.event_id = id;
    Object.assign(pdu, spec.extra ?? {});
    return { eventId: id, pdu: pdu as unknown as Pdu };
  }

  /** Adds an event; its state after is the state before plus itself. */
  add(name: string, spec: EventSpec): RoomEvent {
    const e = this.build(name, spec);
    const prevIds = (e.pdu.prev_events as unknown[]).map((p) => (Array.isArray(p) ? p[0] : p) as string);
    const after = this.stateBefore(prevIds);
    if (e.pdu.state_key !== undefined) after.set(stateKey(e.pdu.type, e.pdu.state_key), e.eventId);
    this.events.set(e.eventId, e.pdu);
    this.stateAfter.set(e.eventId, after);
    this.last = e.eventId;
    return e;
  }

  /** The state after the last event (or a named one) as an AuthState. */
  authState(after?: string): AuthState & Map<string, RoomEvent> {
    const s = this.stateAfter.get(after ? this.id(after) : this.last!)!;
    const out = new Map<string, RoomEvent>();
    for (const [k, id] of s) out.set(k, { eventId: id, pdu: this.events.get(id)! });
    return out;
  }

  /** Resolves the states after the named events (the state an event with those prevs would see). */
  resolve(names: string[]): StateMap {
    return this.stateBefore(names.map((n) => this.id(n)));
  }

  /** Event name of a state entry in a resolved state, or undefined. */
  nameIn(state: StateMap, type: string, key = ''): string | undefined {
    const id = state.get(stateKey(type, key));
    return id === undefined ? undefined : id.replace(/^\$/, '').replace(/:example\.com$/, '');
  }

  /** Sorted event names of a state, for exact comparisons. */
  names(state: StateMap): string[] {
    return [...state.values()].map((id) => id.replace(/^\$/, '').replace(/:example\.com$/, '')).sort();
  }
}

/** create, alice's join, power levels (alice 100), public join rules, then joins of `members`. */
export function standardRoom(versionId: string, members: string[] = [BOB, CHARLIE], opts: { joinRule?: string; users?: JsonObject } = {}): TestRoom {
  const room = new TestRoom(versionId);
  const v = room.version;
  const createContent: JsonObject = { room_version: versionId };
  if (!v.implicitRoomCreator) createContent.creator = ALICE;
  room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content: createContent });
  if (v.roomIdFormat === 'create-event') room.roomId = '!CREATE';
  room.add('IMA', { type: 'm.room.member', sender: ALICE, stateKey: ALICE, content: { membership: 'join' } });
  const users = opts.users ?? (v.roomCreators ? {} : { [ALICE]: 100 });
  room.add('IPOWER', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users } });
  room.add('IJR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: opts.joinRule ?? 'public' } });
  for (const m of members) {
    const name = `IM${m.slice(1, 2).toUpperCase()}`;
    room.add(name, { type: 'm.room.member', sender: m, stateKey: m, content: { membership: 'join' } });
  }
  return room;
}
