// Media between servers (spec: server-server "Content Repository", authenticated media of v1.11).
// Serving: our media, and thumbnails of it, as multipart/mixed answers. Fetching: another server's
// media is asked for once (GET /_matrix/federation/v1/media/download, falling back to the
// deprecated /_matrix/media/v3/download with allow_remote=false when the server does not know the
// new endpoint), streamed into R2, recorded in remote_media, and from then on served like our own
// (downloads, ranges, thumbnails made here). Nothing is held whole in memory.
import { and, eq } from 'drizzle-orm';
import { config as configOf, type Config, type Env } from '../../config';
import { httpDb, type Db } from '../../db/client';
import { remoteMedia } from '../../db/schema';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { ALPHANUMERIC, randomString } from '../../matrix/random';
import { signJson } from '../../matrix/signing';
import { formatXMatrix, requestJson } from '../../matrix/x-matrix';
import type { ReadyMedia } from '../media/download';
import { StreamLimitError, putStream } from '../media/storage';
import { federationResolver } from './client';
import { UnreachableServer } from './discovery';
import { boundaryOf, MalformedMultipart, parseMultipartMedia } from './multipart';
import { serverSigningKey } from './server-key';

/** A download may take long; a remote that stalls longer than this is given up on. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

type RemoteMediaRow = typeof remoteMedia.$inferSelect;

const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Media not found');
const unavailable = (server: string, why: string) => new MatrixError(502, ErrCode.UNKNOWN, `Could not get the media from ${server}: ${why}`);

/** Remote media as the content repository serves it; its id names it apart from our own (also for thumbnails). */
function servable(row: RemoteMediaRow): ReadyMedia {
  return {
    mediaId: `remote/${row.serverName}/${row.mediaId}`,
    userId: '',
    createdTs: row.fetchedTs,
    uploadedTs: row.fetchedTs,
    unusedExpiresTs: null,
    contentType: row.contentType,
    uploadName: row.uploadName,
    size: row.size,
    storageKey: row.storageKey,
    quarantinedBy: null,
    safeFromQuarantine: false,
    authenticated: true,
    urlCache: null,
  };
}

async function stored(db: Db, serverName: string, mediaId: string): Promise<RemoteMediaRow | undefined> {
  const [row] = await db.select().from(remoteMedia).where(and(eq(remoteMedia.serverName, serverName), eq(remoteMedia.mediaId, mediaId)));
  return row;
}

/** A signed GET to another server, answered as it is (the body is the caller's to read). */
async function signedGet(env: Env, server: string, baseUrl: string, path: string): Promise<Response> {
  const origin = configOf(env).serverName;
  const key = await serverSigningKey(env);
  const signed = await signJson(requestJson('GET', path, origin, server), origin, key);
  const authorization = formatXMatrix({ origin, destination: server, key: key.keyId, sig: signed.signatures[origin][key.keyId] });
  return fetch(`${baseUrl}${path}`, { headers: { authorization }, redirect: 'manual', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
}

async function errcodeOf(res: Response): Promise<string | undefined> {
  try {
    return ((await res.json()) as { errcode?: unknown }).errcode as string | undefined;
  } catch {
    return undefined;
  }
}

/** The file name of a Content-Disposition header (filename* preferred), if it is a sane one. */
export function fileNameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*[^']*'[^']*'([^;\s]+)/i.exec(disposition);
  if (extended) {
    try {
      name = decodeURIComponent(extended[1]);
    } catch {
      name = undefined;
    }
  }
  if (name === undefined) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
    name = plain ? (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2]) : undefined;
  }
  return name && name.length <= 255 && !/[\x00-\x1f\x7f]/.test(name) ? name : null;
}

function contentTypeOf(headers: Headers): string {
  const type = headers.get('content-type')?.trim();
  return type && type.length <= 255 && /^[\x20-\x7e]+$/.test(type) ? type : 'application/octet-stream';
}

interface Fetched {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  uploadName: string | null;
}

/** Asks the media's server for it; network failures are the server's unavailability. */
async function download(env: Env, server: string, mediaId: string, timeoutMs: number): Promise<Fetched> {
  try {
    return await tryDownload(env, server, mediaId, timeoutMs);
  } catch (e) {
    if (e instanceof MatrixError) throw e;
    throw unavailable(server, (e as Error).message);
  }
}

/** The authenticated federation endpoint, else the deprecated one. */
async function tryDownload(env: Env, server: string, mediaId: string, timeoutMs: number): Promise<Fetched> {
  let baseUrl: string;
  try {
    baseUrl = (await federationResolver(env)(server)).baseUrl;
  } catch (e) {
    if (e instanceof UnreachableServer) throw unavailable(server, e.message);
    throw e;
  }
  const enc = encodeURIComponent;
  let res = await signedGet(env, server, baseUrl, `/_matrix/federation/v1/media/download/${enc(mediaId)}?timeout_ms=${timeoutMs}`);
  if (res.status === 200) {
    const boundary = boundaryOf(res.headers.get('content-type'));
    if (!boundary || !res.body) throw unavailable(server, 'the answer is not multipart/mixed');
    const part = await parseMultipartMedia(res.body, boundary).catch((e: unknown) => {
      throw e instanceof MalformedMultipart ? unavailable(server, e.message) : e;
    });
    const location = part.headers.get('location');
    if (!location) return { body: part.body, contentType: contentTypeOf(part.headers), uploadName: fileNameOf(part.headers.get('content-disposition')) };
    await part.body.cancel();
    if (!/^https?:\/\//i.test(location)) throw unavailable(server, 'it redirected to something other than an http(s) URL');
    res = await fetch(location, { redirect: 'follow', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok || !res.body) throw unavailable(server, `the redirect answered ${res.status}`);
    return { body: res.body, contentType: contentTypeOf(res.headers), uploadName: fileNameOf(res.headers.get('content-disposition')) };
  }
  const errcode = await errcodeOf(res);
  if (res.status === 404 && errcode === ErrCode.UNRECOGNIZED) {
    // A server from before v1.11: the deprecated endpoint, told not to fetch from elsewhere.
    res = await fetch(`${baseUrl}/_matrix/media/v3/download/${enc(server)}/${enc(mediaId)}?allow_remote=false&timeout_ms=${timeoutMs}`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
    if (res.ok && res.body) return { body: res.body, contentType: contentTypeOf(res.headers), uploadName: fileNameOf(res.headers.get('content-disposition')) };
    const legacyErr = await errcodeOf(res);
    if (res.status === 404) throw notFound();
    throw unavailable(server, `it answered ${res.status} ${legacyErr ?? ''}`);
  }
  if (res.status === 404) throw notFound();
  if (res.status === 504 && errcode === ErrCode.NOT_YET_UPLOADED) throw new MatrixError(504, ErrCode.NOT_YET_UPLOADED, 'Content has not yet been uploaded');
  throw unavailable(server, `it answered ${res.status} ${errcode ?? ''}`);
}

const inflight = new Map<string, Promise<RemoteMediaRow>>();

/** Fetches and stores the media once (concurrent requests in this isolate share the fetch). */
async function fetchAndStore(env: Env, config: Config, server: string, mediaId: string, timeoutMs: number): Promise<RemoteMediaRow> {
  const db = httpDb(env);
  const fetched = await download(env, server, mediaId, timeoutMs);
  const key = `remote/${server}/${mediaId}/${randomString(ALPHANUMERIC, 16)}`;
  let size: number;
  try {
    size = await putStream(env.MEDIA, key, fetched.body, null, config.media.maxUploadBytes);
  } catch (e) {
    if (e instanceof StreamLimitError) throw new MatrixError(502, ErrCode.TOO_LARGE, 'The content is too large for this server to fetch');
    if (e instanceof MalformedMultipart) throw unavailable(server, e.message);
    throw e;
  }
  const row: RemoteMediaRow = { serverName: server, mediaId, contentType: fetched.contentType, uploadName: fetched.uploadName, size, storageKey: key, fetchedTs: Date.now() };
  // The object exists before its row (invariant 7); another isolate may have been quicker.
  const inserted = await db.insert(remoteMedia).values(row).onConflictDoNothing().returning({ k: remoteMedia.storageKey });
  if (inserted.length) return row;
  await env.MEDIA.delete(key);
  return (await stored(db, server, mediaId))!;
}

/**
 * Another server's media, ready to serve: from our cache, or fetched now. Remote media is cached
 * after the spec's freeze, so the deprecated unauthenticated endpoints serve it only with LEGACY_MEDIA.
 */
export async function remoteReadyMedia(env: Env, config: Config, server: string, mediaId: string, opts: { legacy: boolean; timeoutMs: number }): Promise<ReadyMedia> {
  if (opts.legacy && !config.media.legacyUnauthenticated) throw notFound();
  let row = await stored(httpDb(env), server, mediaId);
  if (!row) {
    const k = `${server}/${mediaId}`;
    let pending = inflight.get(k);
    if (!pending) {
      pending = fetchAndStore(env, config, server, mediaId, opts.timeoutMs).finally(() => inflight.delete(k));
      inflight.set(k, pending);
    }
    row = await pending;
  }
  return servable(row);
}
