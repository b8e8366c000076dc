// Shared steps of the /sync tests: a sync as a client makes it (every 200 body checked against
// the spec's schema), rooms with several members, and reads of a sync response.
import { expect } from 'vitest';
import { call, registerUser, type Reply, type TestUser } from '../helpers/client';
import { createRoom, enc, join, member, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

export type SyncBody = Record<string, any> & { next_batch: string };

export interface SyncQuery {
  since?: string;
  timeout?: number;
  full_state?: boolean;
  set_presence?: 'online' | 'offline' | 'unavailable';
  /** A stored filter id, or a filter object sent inline as JSON. */
  filter?: string | Record<string, unknown>;
}

export function syncPath(q: SyncQuery = {}): string {
  const qs = new URLSearchParams();
  if (q.since !== undefined) qs.set('since', q.since);
  if (q.timeout !== undefined) qs.set('timeout', String(q.timeout));
  if (q.full_state !== undefined) qs.set('full_state', String(q.full_state));
  if (q.set_presence !== undefined) qs.set('set_presence', q.set_presence);
  if (q.filter !== undefined) qs.set('filter', typeof q.filter === 'string' ? q.filter : JSON.stringify(q.filter));
  const s = qs.toString();
  return `/_matrix/client/v3/sync${s ? `?${s}` : ''}`;
}

export function syncRaw(user: { token: string }, q: SyncQuery = {}): Promise<Reply> {
  return call('GET', syncPath(q), { token: user.token });
}

/** GET /sync, asserting a 200 whose body matches the spec. */
export async function sync(user: { token: string }, q: SyncQuery = {}): Promise<SyncBody> {
  const r = await syncRaw(user, q);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/sync', 200, r.body);
  expect(typeof r.body.next_batch).toBe('string');
  return r.body;
}

export const joined = (b: SyncBody, roomId: string): Record<string, any> | undefined => b.rooms?.join?.[roomId];
export const timelineOf = (b: SyncBody, roomId: string): Ev[] => joined(b, roomId)?.timeline?.events ?? [];
export const timelineIds = (b: SyncBody, roomId: string): string[] => timelineOf(b, roomId).map((e) => e.event_id);
export const stateOf = (b: SyncBody, roomId: string, section: 'join' | 'leave' = 'join'): Ev[] => b.rooms?.[section]?.[roomId]?.state?.events ?? [];
export const ephemeralOf = (b: SyncBody, roomId: string): { type: string; content: Record<string, any> }[] => joined(b, roomId)?.ephemeral?.events ?? [];
export const roomAccountDataOf = (b: SyncBody, roomId: string): { type: string; content: Record<string, any> }[] => joined(b, roomId)?.account_data?.events ?? [];

/** Member events in a state list, by target user. */
export function memberTargets(events: Ev[]): string[] {
  return events.filter((e) => e.type === 'm.room.member').map((e) => e.state_key!).sort();
}

export function findState(events: Ev[], type: string, stateKey = ''): Ev | undefined {
  return events.find((e) => e.type === type && e.state_key === stateKey);
}

/** Registers `n` users. */
export function users(n: number): Promise<(TestUser & { refreshToken?: string })[]> {
  return Promise.all(Array.from({ length: n }, () => registerUser()));
}

/** A public room created by `owner` that every one of `members` has joined, in order. */
export async function roomWith(owner: TestUser, members: TestUser[], body: Record<string, unknown> = {}): Promise<string> {
  const roomId = await createRoom(owner, { preset: 'public_chat', ...body });
  for (const m of members) {
    const r = await join(m, roomId);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  return roomId;
}

export async function invite(inviter: TestUser, roomId: string, target: TestUser): Promise<void> {
  const r = await member(inviter, roomId, 'invite', target.userId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

export function putAccountData(user: TestUser, type: string, content: Record<string, unknown>, roomId?: string): Promise<Reply> {
  const path = roomId
    ? `/_matrix/client/v3/user/${enc(user.userId)}/rooms/${enc(roomId)}/account_data/${enc(type)}`
    : `/_matrix/client/v3/user/${enc(user.userId)}/account_data/${enc(type)}`;
  return call('PUT', path, { token: user.token, body: content });
}

export function receipt(user: TestUser, roomId: string, eventId: string, type = 'm.read', body: Record<string, unknown> = {}): Promise<Reply> {
  return call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/${enc(type)}/${enc(eventId)}`, { token: user.token, body });
}

export function typing(user: TestUser, roomId: string, body: Record<string, unknown>, userId = user.userId): Promise<Reply> {
  return call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(userId)}`, { token: user.token, body });
}

export function setPresence(user: TestUser, body: Record<string, unknown>, userId = user.userId): Promise<Reply> {
  return call('PUT', `/_matrix/client/v3/presence/${enc(userId)}/status`, { token: user.token, body });
}

export function getPresence(user: TestUser, userId: string): Promise<Reply> {
  return call('GET', `/_matrix/client/v3/presence/${enc(userId)}/status`, { token: user.token });
}

/** Stores a filter and returns its id. */
export async function storeFilter(user: TestUser, filter: Record<string, unknown>): Promise<string> {
  const r = await call('POST', `/_matrix/client/v3/user/${enc(user.userId)}/filter`, { token: user.token, body: filter });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.filter_id;
}

/** The components of this server's tokens (`s<events>_<misc>_<typing>`), to check they only grow. */
export function tokenParts(token: string): number[] {
  const m = /^s(\d+)_(\d+)_(\d+)$/.exec(token);
  expect(m, `unexpected token ${token}`).not.toBeNull();
  return m!.slice(1).map(Number);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Syncs from `since` until `done` accepts a response (at most `rounds` long-polls), returning
 * every response seen; a long-poll returns early when anything arrives.
 */
export async function syncUntil(user: { token: string }, since: string, done: (b: SyncBody) => boolean, q: Omit<SyncQuery, 'since'> = {}, rounds = 10): Promise<SyncBody[]> {
  const seen: SyncBody[] = [];
  for (let i = 0; i < rounds; i++) {
    const b = await sync(user, { timeout: 2000, ...q, since });
    seen.push(b);
    if (done(b)) return seen;
    since = b.next_batch;
  }
  return seen;
}
