// Room operations as a client performs them.
import { expect } from 'vitest';
import { call, type Reply, type TestUser } from './client';
import { env } from 'cloudflare:test';
import { Validator, type Schema } from '@cfworker/json-schema';
import { asc, eq } from 'drizzle-orm';
import eventSchemas from '../../../../shared/matrix-spec/derived/event-schemas.json';
import { httpDb } from '../../../src/db/client';
import { events as eventsTable } from '../../../src/db/schema';
import { expectSpec } from './spec';

let txn = 0;
export const nextTxn = () => `txn${Date.now()}-${txn++}`;
const enc = encodeURIComponent;

export async function createRoom(user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const r = await call('POST', '/_matrix/client/v3/createRoom', { token: user.token, body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.room_id;
}

export function send(user: TestUser, roomId: string, content: Record<string, unknown> = { msgtype: 'm.text', body: 'hello' }, type = 'm.room.message', txnId = nextTxn()): Promise<Reply> {
  return call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`, { token: user.token, body: content });
}

export async function sendOk(user: TestUser, roomId: string, content?: Record<string, unknown>, type?: string): Promise<string> {
  const r = await send(user, roomId, content, type);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.event_id;
}

/** A state path; the empty state key is written without the (optional) trailing slash. */
export const statePath = (roomId: string, type: string, stateKey: string) =>
  `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}${stateKey === '' ? '' : `/${enc(stateKey)}`}`;

export function putState(user: TestUser, roomId: string, type: string, content: Record<string, unknown>, stateKey = ''): Promise<Reply> {
  return call('PUT', statePath(roomId, type, stateKey), { token: user.token, body: content });
}

export function getState(user: TestUser, roomId: string, type: string, stateKey = ''): Promise<Reply> {
  return call('GET', statePath(roomId, type, stateKey), { token: user.token });
}

export function member(user: TestUser, roomId: string, action: 'invite' | 'kick' | 'ban' | 'unban', target: string, reason?: string): Promise<Reply> {
  return call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/${action}`, { token: user.token, body: { user_id: target, reason } });
}

export function join(user: TestUser, roomIdOrAlias: string): Promise<Reply> {
  return call('POST', `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, { token: user.token, body: {} });
}

export function leave(user: TestUser, roomId: string): Promise<Reply> {
  return call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: user.token, body: {} });
}

export function messages(user: TestUser, roomId: string, query: Record<string, string | number> = {}): Promise<Reply> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages${qs ? `?${qs}` : ''}`, { token: user.token });
}

// ---------------------------------------------------------------------------------------------
// More room operations, reads, and checks against the spec's event schemas.

export { enc };
export const v3 = (path: string) => `/_matrix/client/v3${path}`;
export const roomPath = (roomId: string, rest: string) => v3(`/rooms/${enc(roomId)}${rest}`);

/** A client event as the server serves it. */
export interface Ev {
  event_id: string;
  type: string;
  sender: string;
  room_id: string;
  origin_server_ts: number;
  content: Record<string, any>;
  state_key?: string;
  redacts?: string;
  unsigned?: Record<string, any>;
}

export function createRoomRaw(user: TestUser, body: unknown): Promise<Reply> {
  return call('POST', v3('/createRoom'), { token: user.token, body });
}

export function sendWithTxn(user: { token: string }, roomId: string, type: string, txnId: string, content: Record<string, unknown>): Promise<Reply> {
  return call('PUT', roomPath(roomId, `/send/${enc(type)}/${enc(txnId)}`), { token: user.token, body: content });
}

export function redact(user: TestUser, roomId: string, eventId: string, body: Record<string, unknown> = {}, txnId = nextTxn()): Promise<Reply> {
  return call('PUT', roomPath(roomId, `/redact/${enc(eventId)}/${enc(txnId)}`), { token: user.token, body });
}

export function joinById(user: TestUser, roomId: string, body: Record<string, unknown> = {}): Promise<Reply> {
  return call('POST', roomPath(roomId, '/join'), { token: user.token, body });
}

export function knock(user: TestUser, roomIdOrAlias: string, body: Record<string, unknown> = {}): Promise<Reply> {
  return call('POST', v3(`/knock/${enc(roomIdOrAlias)}`), { token: user.token, body });
}

export function forget(user: TestUser, roomId: string): Promise<Reply> {
  return call('POST', roomPath(roomId, '/forget'), { token: user.token, body: {} });
}

export function getEvent(user: { token: string }, roomId: string, eventId: string): Promise<Reply<Ev>> {
  return call('GET', roomPath(roomId, `/event/${enc(eventId)}`), { token: user.token });
}

export function roomState(user: { token: string }, roomId: string): Promise<Reply<Ev[]>> {
  return call('GET', roomPath(roomId, '/state'), { token: user.token });
}

export function members(user: { token: string }, roomId: string, query: Record<string, string> = {}): Promise<Reply<{ chunk: Ev[] }>> {
  const qs = new URLSearchParams(query).toString();
  return call('GET', roomPath(roomId, `/members${qs ? `?${qs}` : ''}`), { token: user.token });
}

export function context(user: { token: string }, roomId: string, eventId: string, query: Record<string, string | number> = {}): Promise<Reply> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return call('GET', roomPath(roomId, `/context/${enc(eventId)}${qs ? `?${qs}` : ''}`), { token: user.token });
}

export async function setDisplayName(user: TestUser, displayname: string): Promise<void> {
  const r = await call('PUT', v3(`/profile/${enc(user.userId)}/displayname`), { token: user.token, body: { displayname } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

/** Every event of the room the user may see, oldest first, following /messages `end` tokens forwards. */
export async function timeline(user: TestUser, roomId: string): Promise<Ev[]> {
  const out: Ev[] = [];
  let from: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await messages(user, roomId, { dir: 'f', limit: 100, ...(from ? { from } : {}) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/messages', 200, r.body);
    out.push(...r.body.chunk);
    if (r.body.end === undefined || r.body.chunk.length === 0) return out;
    from = r.body.end;
  }
  throw new Error('timeline did not end');
}

/** The current state as a map "type|state_key" → event. */
export async function stateMap(user: TestUser, roomId: string): Promise<Map<string, Ev>> {
  const r = await roomState(user, roomId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/rooms/{roomId}/state', 200, r.body);
  return new Map(r.body.map((e) => [`${e.type}|${e.state_key}`, e]));
}

const eventValidators = new Map<string, Validator>();
const schemas = (eventSchemas as unknown as { schemas: Record<string, Schema> }).schemas;

/** Validates a client event against the spec's schema for its type (redacted events excepted). */
export function expectEventSpec(e: Ev): void {
  if (e.unsigned?.redacted_because) return;
  let name = e.type;
  if (e.type === 'm.room.message' && typeof e.content.msgtype === 'string' && schemas[`m.room.message$${e.content.msgtype}`]) {
    name = `m.room.message$${e.content.msgtype}`;
  }
  const schema = schemas[name];
  if (!schema) return;
  let v = eventValidators.get(name);
  if (!v) eventValidators.set(name, (v = new Validator(schema, '2020-12', false)));
  const result = v.validate(e);
  const errors = result.valid ? [] : result.errors.map((x) => `${x.instanceLocation}: ${x.error}`);
  expect(errors, `${e.type} event does not match the spec: ${JSON.stringify(e)}`).toEqual([]);
}

/** Test-only read of the stored events of a room (PDUs as signed), in stream order. */
export async function storedEvents(roomId: string) {
  const rows = await httpDb(env)
    .select({ eventId: eventsTable.eventId, streamPos: eventsTable.streamPos, json: eventsTable.json, stateGroup: eventsTable.stateGroup, depth: eventsTable.depth })
    .from(eventsTable)
    .where(eq(eventsTable.roomId, roomId))
    .orderBy(asc(eventsTable.streamPos));
  return rows.map((r) => ({ ...r, pdu: JSON.parse(r.json) as Record<string, any> }));
}
