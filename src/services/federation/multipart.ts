// The multipart/mixed bodies of federation media (spec: server-server "Content Repository",
// RFC 2046): exactly two parts, JSON metadata (an empty object) and the media, either as bytes or as
// a Location to fetch it from. Both directions stream: the media part is never held in memory.
import { ALPHANUMERIC, randomString } from '../../matrix/random';

const encoder = new TextEncoder();
const CRLF = encoder.encode('\r\n');
/** Bounds the part before the media (preamble, metadata, headers) that is read into memory. */
const MAX_HEAD_BYTES = 64 * 1024;

export class MalformedMultipart extends Error {}

/** Wraps a media response (its body, Content-Type and Content-Disposition) as the two-part answer. */
export function multipartMedia(media: Response): Response {
  const boundary = randomString(ALPHANUMERIC, 32);
  const headers = [`Content-Type: ${media.headers.get('content-type') ?? 'application/octet-stream'}`];
  const disposition = media.headers.get('content-disposition');
  if (disposition) headers.push(`Content-Disposition: ${disposition}`);
  const head = encoder.encode(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`);
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const reader = media.body?.getReader();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(head);
        return;
      }
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) {
        controller.enqueue(tail);
        controller.close();
      } else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader?.cancel(reason);
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': `multipart/mixed; boundary=${boundary}` } });
}

/** The boundary of a multipart/mixed Content-Type, or undefined. */
export function boundaryOf(contentType: string | null): string | undefined {
  if (!contentType || !/^multipart\/mixed\s*(;|$)/i.test(contentType.trim())) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A reader with look-ahead, for the head of the body. */
class Buffered {
  buf: Uint8Array = new Uint8Array(0);
  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The bytes before `pattern`, consuming both. */
  async until(pattern: Uint8Array): Promise<Uint8Array> {
    let from = 0;
    for (;;) {
      const at = indexOf(this.buf, pattern, from);
      if (at !== -1) {
        const before = this.buf.slice(0, at);
        this.buf = this.buf.slice(at + pattern.length);
        return before;
      }
      from = Math.max(0, this.buf.length - pattern.length + 1);
      const { done, value } = await this.reader.read();
      if (done) throw new MalformedMultipart('the body ended early');
      this.buf = concat(this.buf, value);
      if (this.buf.length > MAX_HEAD_BYTES) throw new MalformedMultipart('the part before the media is too long');
    }
  }

  /** Header lines up to the empty line that ends them. */
  async headers(): Promise<Headers> {
    const headers = new Headers();
    for (;;) {
      const line = new TextDecoder().decode(await this.until(CRLF));
      if (line === '') return headers;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MalformedMultipart(`malformed header line "${line}"`);
      try {
        headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      } catch {
        throw new MalformedMultipart(`malformed header line "${line}"`);
      }
    }
  }
}

export interface MediaPart {
  metadata: unknown;
  headers: Headers;
  /** The media bytes, up to the closing delimiter (errors if the body ends before it). */
  body: ReadableStream<Uint8Array>;
}

/** Splits a federation media answer into its metadata and its media part, streaming the latter. */
export async function parseMultipartMedia(stream: ReadableStream<Uint8Array>, boundary: string): Promise<MediaPart> {
  const reader = stream.getReader();
  const input = new Buffered(reader);
  const dash = encoder.encode(`--${boundary}`);
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  try {
    await input.until(dash); // preamble
    await input.until(CRLF); // transport padding
    await input.headers();
    let metadata: unknown;
    try {
      metadata = JSON.parse(new TextDecoder().decode(await input.until(delimiter)));
    } catch (e) {
      if (e instanceof MalformedMultipart) throw e;
      throw new MalformedMultipart('the metadata part is not JSON');
    }
    const after = new TextDecoder().decode(await input.until(CRLF));
    if (after.startsWith('--')) throw new MalformedMultipart('there is no media part');
    const headers = await input.headers();
    let pending: Uint8Array = input.buf;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          const at = indexOf(pending, delimiter);
          if (at !== -1) {
            if (at > 0) controller.enqueue(pending.slice(0, at));
            controller.close();
            await reader.cancel().catch(() => {});
            return;
          }
          // Everything but a possible start of the delimiter can go.
          const safe = pending.length - delimiter.length + 1;
          if (safe > 0) {
            controller.enqueue(pending.slice(0, safe));
            pending = pending.slice(safe);
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            controller.error(new MalformedMultipart('the media part has no closing delimiter'));
            return;
          }
          pending = concat(pending, value);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    return { metadata, headers, body };
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
}
