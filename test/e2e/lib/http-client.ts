// A small raw Matrix client for the federation tests: every request visible, nothing cached.
import { expect } from 'vitest';

export interface Account {
  baseUrl: string;
  userId: string;
  token: string;
  since?: string;
}

export async function request<T = any>(baseUrl: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

let n = 0;
export async function register(baseUrl: string, prefix: string): Promise<Account> {
  const username = `${prefix}-${Date.now().toString(36)}-${n++}`;
  const first = await request(baseUrl, 'POST', '/_matrix/client/v3/register', { body: { username, password: 'pw' } });
  const done = await request(baseUrl, 'POST', '/_matrix/client/v3/register', { body: { username, password: 'pw', auth: { type: 'm.login.dummy', session: first.body.session } } });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return { baseUrl, userId: done.body.user_id, token: done.body.access_token };
}

export async function call<T = any>(a: Account, method: string, path: string, body?: unknown) {
  return request<T>(a.baseUrl, method, path, { token: a.token, body });
}

/** Syncs until `pick` finds something in a response (advancing the account's since token). */
export async function syncUntil<T>(a: Account, what: string, pick: (sync: any) => T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const qs = a.since ? `?since=${encodeURIComponent(a.since)}&timeout=2000` : '?timeout=0';
    const r = await call(a, 'GET', `/_matrix/client/v3/sync${qs}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    a.since = r.body.next_batch;
    const found = pick(r.body);
    if (found !== undefined) return found;
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const timelineOf = (sync: any, roomId: string): any[] => sync.rooms?.join?.[roomId]?.timeline?.events ?? [];

let txn = 0;
export async function send(a: Account, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
  const r = await call(a, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/t${Date.now()}${txn++}`, content);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.event_id;
}
