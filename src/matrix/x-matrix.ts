// Request authentication between servers (spec: server-server "Request Authentication"): the JSON
// that is signed, and the `Authorization: X-Matrix ...` header that carries the signature.
import type { JsonObject } from './types';

export interface XMatrixAuth {
  origin: string;
  /** Absent from older servers' requests (then not checked, as the spec allows). */
  destination?: string;
  key: string;
  sig: string;
}

/** The object whose signature authenticates a request. */
export function requestJson(method: string, uri: string, origin: string, destination: string, content?: unknown): JsonObject {
  const json: JsonObject = { method, uri, origin, destination };
  if (content !== undefined) json.content = content;
  return json;
}

/** Formats the header the way the spec asks senders to: one space, lower-case names, quoted values. */
export function formatXMatrix(auth: Required<XMatrixAuth>): string {
  return `X-Matrix origin="${auth.origin}",destination="${auth.destination}",key="${auth.key}",sig="${auth.sig}"`;
}

/**
 * Parses an X-Matrix Authorization header (RFC 9110 auth-param syntax: case-insensitive names,
 * quoted or token values with backslash escapes, optional whitespace around commas; unquoted
 * values may contain colons for older servers). Undefined when it is not a usable X-Matrix header.
 */
export function parseXMatrix(header: string): XMatrixAuth | undefined {
  const m = /^X-Matrix +(.*)$/i.exec(header.trim());
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))\s*(?:,|$)/y;
  const rest = m[1];
  let at = 0;
  while (at < rest.length) {
    re.lastIndex = at;
    const p = re.exec(rest);
    if (!p) return undefined;
    const value = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
    params.set(p[1].toLowerCase(), value);
    at = re.lastIndex;
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (!origin || !key || !sig) return undefined;
  const destination = params.get('destination');
  return { origin, key, sig, ...(destination !== undefined ? { destination } : {}) };
}
