// Pushers (spec: "Push Notifications", GET /pushers and POST /pushers/set). They are stored and
// validated here; delivery to push gateways is not implemented yet, so only `http` pushers, the
// kind a gateway delivers, are accepted.
import type { Db } from '../../db/client';
import * as q from '../../db/queries/push';
import { ErrCode, MatrixError, badJson } from '../../matrix/errors';
import { utf8Length } from '../../matrix/ids';
import { hasNul } from '../../matrix/push-rules';

/** A pusher as GET /pushers shows it. */
export interface Pusher {
  pushkey: string;
  kind: string;
  app_id: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag?: string;
  lang: string;
  data: Record<string, unknown>;
}

/** POST /pushers/set, checked: a deletion or a pusher to create or update. */
export type PusherRequest = { delete: true; appId: string; pushkey: string } | { delete: false; pusher: Pusher; append: boolean };

const MAX_APP_ID_CHARS = 64;
const MAX_PUSHKEY_BYTES = 512;
const NOTIFY_PATH = '/_matrix/push/v1/notify';

const missingParams = (names: string[]) => new MatrixError(400, ErrCode.MISSING_PARAM, `Missing parameters: ${names.join(', ')}`);
const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkHttpData(data: Record<string, unknown>): void {
  if (data.url === undefined) throw missingParams(['data.url']);
  if (typeof data.url !== 'string') throw badJson("'data.url' must be a string");
  let url: URL;
  try {
    url = new URL(data.url);
  } catch {
    throw invalid("'data.url' is not a URL");
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid("'data.url' must be an HTTPS (or HTTP) URL");
  if (url.pathname !== NOTIFY_PATH) throw invalid(`'data.url' must have the path ${NOTIFY_PATH}`);
  if (data.format !== undefined && data.format !== 'event_id_only') throw invalid("'data.format' must be 'event_id_only' when given");
}

export function parsePusherRequest(body: Record<string, unknown>): PusherRequest {
  const absent = ['kind', 'app_id', 'pushkey'].filter((k) => body[k] === undefined);
  if (absent.length) throw missingParams(absent);
  const { kind, app_id: appId, pushkey } = body;
  if (typeof appId !== 'string' || typeof pushkey !== 'string') throw badJson("'app_id' and 'pushkey' must be strings");
  if (kind !== null && typeof kind !== 'string') throw badJson("'kind' must be a string or null");
  if ([...appId].length > MAX_APP_ID_CHARS) throw invalid(`'app_id' may be at most ${MAX_APP_ID_CHARS} characters`);
  if (utf8Length(pushkey) > MAX_PUSHKEY_BYTES) throw invalid(`'pushkey' may be at most ${MAX_PUSHKEY_BYTES} bytes`);
  if (hasNul(body)) throw badJson('Pusher fields may not contain NUL characters');
  if (kind === null) return { delete: true, appId, pushkey };

  const required = ['app_display_name', 'device_display_name', 'lang', 'data'].filter((k) => body[k] === undefined);
  if (required.length) throw missingParams(required);
  for (const k of ['app_display_name', 'device_display_name', 'lang'] as const) {
    if (typeof body[k] !== 'string') throw badJson(`'${k}' must be a string`);
  }
  if (body.profile_tag !== undefined && typeof body.profile_tag !== 'string') throw badJson("'profile_tag' must be a string");
  if (body.append !== undefined && typeof body.append !== 'boolean') throw badJson("'append' must be a boolean");
  if (!isObject(body.data)) throw badJson("'data' must be an object");
  if (kind === 'email') throw invalid('Email pushers are not supported by this server');
  if (kind !== 'http') throw invalid(`Unknown pusher kind: ${kind}`);
  checkHttpData(body.data);
  const pusher: Pusher = {
    pushkey,
    kind,
    app_id: appId,
    app_display_name: body.app_display_name as string,
    device_display_name: body.device_display_name as string,
    lang: body.lang as string,
    data: body.data,
  };
  if (typeof body.profile_tag === 'string') pusher.profile_tag = body.profile_tag;
  return { delete: false, pusher, append: body.append === true };
}

export async function listPushers(db: Db, userId: string): Promise<Pusher[]> {
  return (await q.listPushers(db, userId)).map((r) => {
    const p: Pusher = {
      pushkey: r.pushkey,
      kind: r.kind,
      app_id: r.appId,
      app_display_name: r.appDisplayName,
      device_display_name: r.deviceDisplayName,
      lang: r.lang,
      data: r.data,
    };
    if (r.profileTag !== null) p.profile_tag = r.profileTag;
    return p;
  });
}

/**
 * Applies POST /pushers/set. Without `append`, the same app_id and pushkey registered by other users
 * is removed (the device now belongs to this user).
 */
export async function setPusher(db: Db, requester: { userId: string; deviceId: string }, req: PusherRequest, now = Date.now()): Promise<void> {
  if (req.delete) {
    await q.deletePusher(db, requester.userId, req.appId, req.pushkey);
    return;
  }
  const { pusher } = req;
  if (!req.append) await q.deletePushersOfOtherUsers(db, pusher.app_id, pusher.pushkey, requester.userId);
  await q.upsertPusher(db, {
    userId: requester.userId,
    appId: pusher.app_id,
    pushkey: pusher.pushkey,
    kind: pusher.kind,
    appDisplayName: pusher.app_display_name,
    deviceDisplayName: pusher.device_display_name,
    profileTag: pusher.profile_tag ?? null,
    lang: pusher.lang,
    data: pusher.data,
    deviceId: requester.deviceId,
    createdTs: now,
  });
}
