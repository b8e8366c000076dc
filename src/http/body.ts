// Request bodies: size-capped, parsed as JSON, then validated against a zod schema.
// Not JSON → M_NOT_JSON; valid JSON of the wrong shape → M_BAD_JSON; too big → M_TOO_LARGE.
import type { z } from 'zod';
import { ErrCode, MatrixError, badJson } from './errors';
import type { Ctx } from './context';

export async function readBytes(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!req.body) return new Uint8Array();
  // A declared length bounds the body (HTTP framing): one native read, no chunk loop.
  if (declared !== null) return new Uint8Array(await req.arrayBuffer());
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const tooLarge = (limit: number) => new MatrixError(413, ErrCode.TOO_LARGE, `Request body is larger than ${limit} bytes`);
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The request body as a JSON object. An absent body counts as `{}` only when `emptyAsObject`. */
export async function jsonObject(c: Ctx, { emptyAsObject = false } = {}): Promise<Record<string, unknown>> {
  const bytes = await readBytes(c.req.raw, c.get('config').maxRequestBytes);
  if (bytes.byteLength === 0 && emptyAsObject) return {};
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new MatrixError(400, ErrCode.NOT_JSON, 'Content is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badJson('Content must be a JSON object');
  return value as Record<string, unknown>;
}

/** Formats the first zod issue as a sentence naming the offending field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? `'${issue.path.join('.')}'` : 'body';
  return `Invalid ${where}: ${issue.message}`;
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, errcode: string = ErrCode.BAD_JSON): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new MatrixError(400, errcode, describeIssue(parsed.error));
  return parsed.data;
}

/** Parses and validates a JSON request body in one step. */
export async function body<S extends z.ZodType>(c: Ctx, schema: S, opts?: { emptyAsObject?: boolean }): Promise<z.output<S>> {
  return validate(schema, await jsonObject(c, opts));
}
