// Room operations as a client performs them.
import { expect } from 'vitest';
import { call, type Reply, type TestUser } from './client';

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

export function putState(user: TestUser, roomId: string, type: string, content: Record<string, unknown>, stateKey = ''): Promise<Reply> {
  return call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: user.token, body: content });
}

export function getState(user: TestUser, roomId: string, type: string, stateKey = ''): Promise<Reply> {
  return call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: user.token });
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
