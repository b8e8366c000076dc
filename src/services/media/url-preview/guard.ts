// Where a URL preview may go: http(s) only, and never to an address in a blocked range, whether the
// URL names it literally or its host name resolves to it. Names are resolved over DNS-over-HTTPS
// before each request; Cloudflare's network also refuses Worker subrequests to private addresses,
// which covers a name that changes its answer between our lookup and the fetch.
import { ErrCode, MatrixError, invalidParam } from '../../../http/errors';
import { isBlockedAddress } from './address';

export const DOH_URL = 'https://cloudflare-dns.com/dns-query';

const blocked = (why: string) => new MatrixError(403, ErrCode.FORBIDDEN, `URL previews may not reach ${why}`);

export function parsePreviewUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidParam('url is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidParam('url must use http or https');
  return url;
}

interface DohAnswer {
  type: number;
  data: string;
}

/** A and AAAA records of `host` (CNAMEs are followed by the resolver). */
async function resolve(host: string, signal: AbortSignal): Promise<string[]> {
  const addresses: string[] = [];
  for (const type of ['A', 'AAAA']) {
    const res = await fetch(`${DOH_URL}?name=${encodeURIComponent(host)}&type=${type}`, { headers: { accept: 'application/dns-json' }, signal });
    if (!res.ok) throw new Error(`DNS lookup of ${host} failed with ${res.status}`);
    const body = (await res.json()) as { Status?: number; Answer?: DohAnswer[] };
    for (const a of body.Answer ?? []) if (a.type === 1 || a.type === 28) addresses.push(a.data);
  }
  return addresses;
}

/** Throws unless `url` may be fetched: the check runs before any request to the URL's host. */
export async function checkDestination(url: URL, signal: AbortSignal): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw blocked(`${url.protocol} URLs`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = /^[\d.]+$/.test(host) || host.includes(':');
  if (literal) {
    if (isBlockedAddress(host)) throw blocked('private, loopback or link-local addresses');
    return;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw blocked('private, loopback or link-local addresses');
  let addresses: string[];
  try {
    addresses = await resolve(host, signal);
  } catch (e) {
    throw new MatrixError(502, ErrCode.UNKNOWN, `Could not resolve ${host}: ${(e as Error).message}`);
  }
  if (addresses.length === 0) throw new MatrixError(502, ErrCode.UNKNOWN, `${host} has no address`);
  if (addresses.some(isBlockedAddress)) throw blocked('private, loopback or link-local addresses');
}
