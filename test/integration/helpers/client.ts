// Requests against the Worker inside workerd, as a Matrix client makes them.
import { SELF, env } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../../src/index';
import type { Env } from '../../../src/config';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as it is, instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  /** The client address the Worker sees (cf-connecting-ip); a fresh one by default. */
  ip?: string;
  /** Run the Worker with these variables changed (e.g. another registration mode). */
  vars?: Partial<Env>;
}

let counter = 0;
export function uniqueName(prefix = 'user'): string {
  return `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export function newIp(): string {
  const r = () => Math.floor(Math.random() * 254) + 1;
  return `10.${r()}.${r()}.${r()}`;
}

const envCache = new Map<string, Env>();
function envWith(vars: Partial<Env>): Env {
  const key = JSON.stringify(vars);
  let e = envCache.get(key);
  if (!e) {
    e = { ...(env as unknown as Env), ...vars };
    envCache.set(key, e);
  }
  return e;
}

export async function call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? newIp(), ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: BodyInit | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const request = new Request(`http://myelin.test${path}`, { method, headers, body: payload });
  const res = opts.vars
    ? await worker.fetch(request, envWith(opts.vars), { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext)
    : await SELF.fetch(request);
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: leave the text
  }
  return { status: res.status, body, headers: res.headers };
}

export const SERVER_NAME = 'test.local';

export interface TestUser {
  userId: string;
  localpart: string;
  password: string;
  token: string;
  deviceId: string;
}

/** Registers a user through the real UIA flow (m.login.dummy). */
export async function registerUser(opts: { localpart?: string; password?: string; deviceId?: string; refresh?: boolean } = {}): Promise<TestUser & { refreshToken?: string }> {
  const localpart = opts.localpart ?? uniqueName();
  const password = opts.password ?? `pw-${uniqueName()}`;
  const ip = newIp();
  const req = { username: localpart, password, device_id: opts.deviceId, refresh_token: opts.refresh };
  const first = await call('POST', '/_matrix/client/v3/register', { body: req, ip });
  expect(first.status).toBe(401);
  const done = await call('POST', '/_matrix/client/v3/register', { body: { ...req, auth: { type: 'm.login.dummy', session: first.body.session } }, ip });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return {
    userId: done.body.user_id,
    localpart,
    password,
    token: done.body.access_token,
    deviceId: done.body.device_id,
    refreshToken: done.body.refresh_token,
  };
}

export async function login(user: { localpart: string; password: string }, extra: Record<string, unknown> = {}): Promise<Reply> {
  return call('POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.localpart }, password: user.password, ...extra },
  });
}

/** Password UIA for an operation: first the 401 with a session, then the same request with auth. */
export async function withPasswordAuth(method: string, path: string, user: TestUser, body: Record<string, unknown> = {}): Promise<Reply> {
  const first = await call(method, path, { token: user.token, body });
  if (first.status !== 401) return first;
  return call(method, path, {
    token: user.token,
    body: { ...body, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, session: first.body.session } },
  });
}
