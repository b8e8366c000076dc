// Fetching for URL previews: every hop of a redirect chain is checked before it is requested, the
// whole exchange has a deadline, and bodies are read up to a byte limit and no further.
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkDestination } from './guard';

export const MAX_REDIRECTS = 5;
export const FETCH_TIMEOUT_MS = 10_000;

export interface Fetched {
  url: URL;
  contentType: string;
  /** The first `limit` bytes of the body; `truncated` when there were more. */
  read(limit: number): Promise<{ bytes: Uint8Array; truncated: boolean }>;
  /** Drops the body unread. */
  discard(): Promise<void>;
}

const upstream = (why: string) => new MatrixError(502, ErrCode.UNKNOWN, why);

async function readUpTo(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!body) return { bytes: new Uint8Array(), truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      size += room;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, truncated };
}

/** GETs `start`, following up to MAX_REDIRECTS redirects, each destination checked first. */
export async function fetchChecked(start: URL, accept: string): Promise<Fetched> {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  let url = start;
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      await checkDestination(url, signal);
      const res = await fetch(url, { redirect: 'manual', signal, headers: { accept, 'user-agent': 'Myelin (Matrix homeserver) URL preview' } });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw upstream(`${url.origin} answered ${res.status}`);
      }
      const body = res.body;
      return {
        url,
        contentType: res.headers.get('content-type') ?? 'application/octet-stream',
        read: (limit) => readUpTo(body, limit),
        discard: async () => body?.cancel().catch(() => {}),
      };
    }
  } catch (e) {
    if (e instanceof MatrixError) throw e;
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new MatrixError(504, ErrCode.UNKNOWN, `Fetching ${start.origin} took longer than ${FETCH_TIMEOUT_MS} ms`);
    throw upstream(`Could not fetch ${start.origin}: ${(e as Error).message}`);
  }
  throw upstream(`More than ${MAX_REDIRECTS} redirects`);
}
