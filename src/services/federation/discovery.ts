// Finding where another server's federation API lives (spec: server-server "Resolving server
// names"): IP literals and explicit ports as given, else /.well-known/matrix/server (cached), else
// SRV records (_matrix-fed._tcp, then the deprecated _matrix._tcp) over DNS-over-HTTPS, else port
// 8448. A development override (FEDERATION_RESOLVE) maps names to loopback URLs; when it is set,
// names it does not list are refused, so tests and local setups never reach anything else.
//
// Workers' fetch validates TLS against the URL's host and cannot send another Host header, so an
// SRV target that differs from the server name is contacted under its own name (a documented
// deviation from the spec's certificate rule).
import { parseServerName } from '../../matrix/ids';

export interface Destination {
  /** Base URL, e.g. `https://matrix.example.org:443`. */
  baseUrl: string;
}

export class UnreachableServer extends Error {}

const WELL_KNOWN_TTL_MS = 24 * 3600_000;
const WELL_KNOWN_ERROR_TTL_MS = 3600_000;
const DOH_URL = 'https://cloudflare-dns.com/dns-query';

const wellKnownCache = new Map<string, { delegated?: string; until: number }>();

/** `a=b,c=d` → Map; server names are matched exactly (host and port). */
export function parseResolveOverride(value: string | undefined): Map<string, string> | undefined {
  if (!value) return undefined;
  const map = new Map<string, string>();
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const url = pair.slice(at + 1).replace(/\/+$/, '');
    if (at <= 0 || !/^https?:\/\/[^/]+$/.test(url)) throw new Error(`FEDERATION_RESOLVE entries look like name=http://127.0.0.1:8788; got "${pair}"`);
    map.set(name, url);
  }
  return map;
}

const isIpLiteral = (host: string) => host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

async function fetchWellKnown(host: string, now: number): Promise<string | undefined> {
  const cached = wellKnownCache.get(host);
  if (cached && cached.until > now) return cached.delegated;
  let delegated: string | undefined;
  let ttl = WELL_KNOWN_ERROR_TTL_MS;
  try {
    const res = await fetch(`https://${host}/.well-known/matrix/server`, { redirect: 'follow', signal: AbortSignal.timeout(10_000) });
    if (res.ok) {
      const body = (await res.json()) as { 'm.server'?: unknown };
      const server = body['m.server'];
      if (typeof server === 'string') {
        parseServerName(server); // throws on an invalid delegated name
        delegated = server;
        ttl = cacheTtl(res.headers.get('cache-control')) ?? WELL_KNOWN_TTL_MS;
      }
    }
  } catch {
    // unreachable, not JSON, or an invalid name: treated as no delegation (spec step 4 onwards)
  }
  wellKnownCache.set(host, { delegated, until: now + ttl });
  return delegated;
}

/** max-age from Cache-Control, capped at 48 hours as the spec recommends. */
function cacheTtl(header: string | null): number | undefined {
  const m = header && /max-age=(\d+)/.exec(header);
  return m ? Math.min(Number(m[1]) * 1000, 48 * 3600_000) : undefined;
}

async function srv(name: string): Promise<{ target: string; port: number } | undefined> {
  try {
    const res = await fetch(`${DOH_URL}?name=${encodeURIComponent(name)}&type=SRV`, { headers: { accept: 'application/dns-json' }, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { Answer?: { type: number; data: string }[] };
    // "priority weight port target."; the lowest priority wins (weights are not balanced here).
    const records = (body.Answer ?? [])
      .filter((a) => a.type === 33)
      .map((a) => a.data.split(/\s+/))
      .filter((p) => p.length === 4)
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    if (!records.length) return undefined;
    return { target: records[0][3].replace(/\.$/, ''), port: Number(records[0][2]) };
  } catch {
    return undefined;
  }
}

export async function resolveServer(serverName: string, override: Map<string, string> | undefined, now = Date.now()): Promise<Destination> {
  if (override) {
    const url = override.get(serverName);
    if (!url) throw new UnreachableServer(`${serverName} is not listed in FEDERATION_RESOLVE`);
    return { baseUrl: url };
  }
  const { host, port } = parseServerName(serverName);
  if (isIpLiteral(host)) return { baseUrl: `https://${host}:${port ?? 8448}` };
  if (port !== undefined) return { baseUrl: `https://${host}:${port}` };
  const delegated = await fetchWellKnown(host, now);
  let target = host;
  if (delegated) {
    const d = parseServerName(delegated);
    if (isIpLiteral(d.host) || d.port !== undefined) return { baseUrl: `https://${d.host}:${d.port ?? 8448}` };
    target = d.host;
  }
  const record = (await srv(`_matrix-fed._tcp.${target}`)) ?? (await srv(`_matrix._tcp.${target}`));
  if (record) return { baseUrl: `https://${record.target}:${record.port}` };
  return { baseUrl: `https://${target}:8448` };
}
