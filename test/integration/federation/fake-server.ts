// A fake remote homeserver for federation tests: its own ed25519 key, its key document served to
// the Worker, signed X-Matrix requests to the Worker, and handlers for the requests the Worker makes
// to it. Outbound fetches of the Worker (and of its Durable Objects, which share the isolate) are
// intercepted by `interceptFederation()`: requests to a fake server's address are answered by it,
// the database relay is let through, anything else gets 599 and is recorded in `strayRequests`, so
// no test touches the network.
//
// A fake server is reachable two ways, so that both the Worker with `vars` (FEDERATION_RESOLVE
// pointing at http://127.0.0.1:<port>) and objects whose environment has no override (which look
// for https://<name>/.well-known/matrix/server and are delegated to 127.0.0.1:<port>) reach it.
import { env } from 'cloudflare:test';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import type { Env } from '../../../src/config';
import { hashAndSignEvent } from '../../../src/matrix/event-signing';
import { computeEventId } from '../../../src/matrix/hashes';
import { roomVersion } from '../../../src/matrix/room-versions';
import { generateSigningKeyText, parseSigningKey, signJson, type SigningKey } from '../../../src/matrix/signing';
import { formatXMatrix, parseXMatrix, requestJson } from '../../../src/matrix/x-matrix';
import worker from '../../../src/index';
import { Ed25519, randomKey } from '../e2ee/helpers';
import { call, SERVER_NAME, uniqueName, type Reply } from '../helpers/client';

/** A request the Worker made to a fake server. */
export interface Received {
  method: string;
  /** Path with query string. */
  path: string;
  url: URL;
  headers: Headers;
  /** Parsed JSON body, if any. */
  body: unknown;
  /** The X-Matrix header, parsed; undefined when absent or malformed. */
  auth?: { origin: string; destination?: string; key: string; sig: string };
}

/** What a handler returns: a Response, or a JSON body answered with 200. */
export type Handler = (req: Received) => Response | unknown | Promise<Response | unknown>;

export interface RequestOptions {
  body?: unknown;
  /** Destination named in the header (default: the Worker's server name). */
  destination?: string;
  /** Origin named in the header (default: this server). */
  origin?: string;
  /** Key id named in the header (default: this server's key id). */
  keyId?: string;
  /** Sign with this key instead of the server's own (a bad signature). */
  signWith?: SigningKey;
  /** Send no Authorization header at all. */
  noAuth?: boolean;
  /** Replace the Authorization header with this text. */
  authorization?: string;
  /** Sign a different body than the one sent (tampering). */
  signedBody?: unknown;
  headers?: Record<string, string>;
}

export interface FakeServer {
  /** The server name, e.g. `remote-abc.test`. */
  readonly name: string;
  /** Where it "listens": http://127.0.0.1:<port>. */
  readonly baseUrl: string;
  readonly key: SigningKey;
  /** Run the Worker with these (FEDERATION_RESOLVE for this server) in `call(..., { vars })`. */
  readonly vars: Partial<Env>;
  /** Every request the Worker made to this server, oldest first. */
  readonly received: Received[];
  /** Answers `method path` (exact path without query, or a RegExp on it); later handlers win. */
  on(method: string, path: string | RegExp, handler: Handler): void;
  /** Builds the (unsigned) key document it serves; replace it to rotate keys or change validity. */
  keyDocument: (now: number) => Record<string, unknown>;
  /** Makes GET /_matrix/key/v2/server fail (the server looks offline to key fetches). */
  keysOffline: boolean;
  /** How many times the Worker fetched this server's key document. */
  readonly keyFetches: number;
  /** `@localpart:name`. */
  user(localpart?: string): string;
  /** A signed X-Matrix request from this server to the Worker. */
  request<T = any>(method: string, path: string, opts?: RequestOptions): Promise<Reply<T>>;
  /** The same, answered with the raw Response (binary and multipart bodies). */
  fetch(method: string, path: string, opts?: RequestOptions): Promise<Response>;
  /** PUT /_matrix/federation/v1/send/{txnId} with these PDUs and EDUs. */
  transaction<T = any>(edus: unknown[], pdus?: unknown[], txnId?: string): Promise<Reply<T>>;
  /** Waits until the Worker has sent a request matching `match` (polling; default 10 s). */
  waitFor(match: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** The EDUs of every transaction received so far. */
  edus(type?: string): { edu_type: string; content: any }[];
  /** make_join + send_join for `userId` of this server (room version from the template). */
  joinRoom(roomId: string, userId: string): Promise<{ eventId: string; event: Record<string, unknown> }>;
  /** Signs an event as this server (hashes, signature) and returns it with its event id. */
  signEvent(event: Record<string, unknown>, version: string): Promise<{ eventId: string; event: Record<string, unknown> }>;
}

const servers = new Map<string, FakeServerImpl>(); // by host:port
const byName = new Map<string, FakeServerImpl>();
/** Requests to nowhere known, for tests to assert on (e.g. that nothing was fetched). */
export const strayRequests: string[] = [];
let nextPort = 20000 + Math.floor(Math.random() * 20000);

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

class FakeServerImpl implements FakeServer {
  readonly received: Received[] = [];
  readonly vars: Partial<Env>;
  readonly baseUrl: string;
  keysOffline = false;
  keyFetches = 0;
  keyDocument: (now: number) => Record<string, unknown>;
  #handlers: { method: string; path: string | RegExp; handler: Handler }[] = [];
  #txn = 0;

  constructor(
    readonly name: string,
    readonly key: SigningKey,
    readonly host: string,
  ) {
    this.baseUrl = `http://${host}`;
    this.vars = { FEDERATION_RESOLVE: `${name}=${this.baseUrl}` };
    this.keyDocument = (now) => ({
      server_name: name,
      verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
      old_verify_keys: {},
      valid_until_ts: now + 24 * 3600_000,
    });
  }

  user(localpart = uniqueName('u')): string {
    return `@${localpart}:${this.name}`;
  }

  on(method: string, path: string | RegExp, handler: Handler): void {
    this.#handlers.unshift({ method, path, handler });
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const text = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const authHeader = req.headers.get('authorization');
    const received: Received = { method: req.method, path: url.pathname + url.search, url, headers: req.headers, body, auth: authHeader ? parseXMatrix(authHeader) : undefined };
    if (url.pathname === '/_matrix/key/v2/server') {
      this.keyFetches++;
      if (this.keysOffline) return json(503, { errcode: 'M_UNKNOWN', error: 'offline' });
      return json(200, await signJson(this.keyDocument(Date.now()), this.name, this.key));
    }
    this.received.push(received);
    for (const h of this.#handlers) {
      if (h.method !== req.method) continue;
      if (typeof h.path === 'string' ? h.path !== url.pathname : !h.path.test(url.pathname)) continue;
      const out = await h.handler(received);
      return out instanceof Response ? out : json(200, out ?? {});
    }
    // Transactions are accepted by default, so that the Worker's sender never backs off.
    if (req.method === 'PUT' && url.pathname.startsWith('/_matrix/federation/v1/send/')) return json(200, { pdus: {} });
    return json(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  }

  async #headers(method: string, path: string, opts: RequestOptions): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    else if (!opts.noAuth) {
      const origin = opts.origin ?? this.name;
      const destination = opts.destination ?? SERVER_NAME;
      const signingKey = opts.signWith ?? this.key;
      const content = 'signedBody' in opts ? opts.signedBody : opts.body;
      const signed = await signJson(requestJson(method, path, origin, destination, content), origin, signingKey);
      const sig = signed.signatures[origin][signingKey.keyId];
      headers.authorization = formatXMatrix({ origin, destination, key: opts.keyId ?? this.key.keyId, sig });
    }
    return headers;
  }

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<Reply<T>> {
    return call<T>(method, path, { body: opts.body, headers: await this.#headers(method, path, opts), vars: this.vars });
  }

  async fetch(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers = await this.#headers(method, path, opts);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = new Request(`http://myelin.test${path}`, { method, headers, body });
    return worker.fetch(request, { ...(env as unknown as Env), ...this.vars }, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
  }

  transaction<T = any>(edus: unknown[], pdus: unknown[] = [], txnId = `t${Date.now()}_${this.#txn++}`): Promise<Reply<T>> {
    return this.request<T>('PUT', `/_matrix/federation/v1/send/${txnId}`, { body: { origin: this.name, origin_server_ts: Date.now(), pdus, edus } });
  }

  async waitFor(match: (r: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(match);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`${this.name} received no matching request; got: ${this.received.map((r) => `${r.method} ${r.path}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  edus(type?: string): { edu_type: string; content: any }[] {
    return this.received
      .filter((r) => r.method === 'PUT' && r.url.pathname.startsWith('/_matrix/federation/v1/send/'))
      .flatMap((r) => ((r.body as { edus?: { edu_type: string; content: any }[] })?.edus ?? []))
      .filter((e) => type === undefined || e.edu_type === type);
  }

  async signEvent(event: Record<string, unknown>, version: string): Promise<{ eventId: string; event: Record<string, unknown> }> {
    const v = roomVersion(version);
    const signed = (await hashAndSignEvent(event as never, v, this.name, this.key)) as unknown as Record<string, unknown>;
    return { eventId: await computeEventId(signed as never, v), event: signed };
  }

  async joinRoom(roomId: string, userId: string): Promise<{ eventId: string; event: Record<string, unknown> }> {
    const enc = encodeURIComponent;
    const made = await this.request('GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(userId)}?ver=1&ver=2&ver=3&ver=4&ver=5&ver=6&ver=7&ver=8&ver=9&ver=10&ver=11&ver=12`);
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const template = { ...made.body.event, origin: this.name, origin_server_ts: Date.now() };
    const { eventId, event } = await this.signEvent(template, made.body.room_version ?? '1');
    const sent = await this.request('PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, { body: event });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    return { eventId, event };
  }
}

/** A new fake server with a unique name and address (call inside a test or a hook). */
export async function fakeServer(name = `${uniqueName('remote')}.test`): Promise<FakeServer> {
  const key = await parseSigningKey(generateSigningKeyText());
  const host = `127.0.0.1:${nextPort++}`;
  const server = new FakeServerImpl(name, key, host);
  servers.set(host, server);
  byName.set(name, server);
  return server;
}

/**
 * Routes the isolate's outbound fetches to the fake servers for the tests of the calling file
 * (registers beforeAll/afterAll hooks).
 */
export function interceptFederation(): void {
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      const url = new URL(req.url);
      // The database driver's HTTP queries go to the local relay as usual.
      if (url.host === env.NEON_WS_PROXY) return realFetch(input, init);
      const server = servers.get(url.host);
      if (server) return server.handle(req);
      // Discovery without the override: the name delegates to the fake server's address.
      const named = byName.get(url.host);
      if (named && url.pathname === '/.well-known/matrix/server') return json(200, { 'm.server': named.host });
      strayRequests.push(`${req.method} ${url.href}`);
      return new Response('no such server in this test', { status: 599 });
    });
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
}

/** Self-signed device keys of a remote user's device, as its server would publish them. */
export async function deviceKeys(userId: string, deviceId: string): Promise<Record<string, any>> {
  const key = await Ed25519.create();
  const keys = { user_id: userId, device_id: deviceId, algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'], keys: { [`curve25519:${deviceId}`]: randomKey(), [`ed25519:${deviceId}`]: key.publicKey } };
  return key.sign(keys, userId, `ed25519:${deviceId}`);
}
