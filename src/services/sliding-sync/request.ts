// The request of simplified sliding sync (MSC4186, as Synapse and matrix-rust-sdk speak it):
// `pos`, `timeout` and `set_presence` in the query string (or the body), the rest in the body.
// Validated here, in the Worker; the user's object receives the normalised form.
import { z } from 'zod';
import { validate } from '../../http/body';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { fromPairs, type RequiredState } from './required-state';

/** The most lists and room subscriptions one request may hold (MSC4186). */
const MAX_LISTS = 100;
const MAX_SUBSCRIPTIONS = 100;
/** Timeline events per room at most; larger limits are capped (the server may cap, MSC4186). */
export const MAX_TIMELINE_LIMIT = 1000;
/** Long-polls longer than this are cut short, as for /sync. */
export const MAX_TIMEOUT_MS = 60_000;
/** To-device messages per response at most (Synapse's cap). */
export const MAX_TO_DEVICE = 100;

const nonNegative = z.number().int().min(0);
const stateTuple = z.tuple([z.string(), z.string()]);
const roomParams = {
  required_state: z.array(stateTuple).max(1000).optional(),
  timeline_limit: nonNegative,
};
const range = z.tuple([nonNegative, nonNegative]);
const filtersSchema = z
  .object({
    is_dm: z.boolean().optional(),
    spaces: z.array(z.string()).optional(),
    is_encrypted: z.boolean().optional(),
    is_invite: z.boolean().optional(),
    // MSC4186's newer spelling of is_invite.
    is_invited: z.boolean().optional(),
    room_types: z.array(z.string().nullable()).optional(),
    not_room_types: z.array(z.string().nullable()).optional(),
    tags: z.array(z.string()).optional(),
    not_tags: z.array(z.string()).optional(),
  })
  .passthrough();
const listSchema = z
  .object({
    ...roomParams,
    ranges: z.array(range).max(100).optional(),
    // MSC4186's newer single range.
    range: range.optional(),
    filters: filtersSchema.nullish(),
  })
  .passthrough();
const scoped = {
  enabled: z.boolean().nullish(),
  lists: z.array(z.string()).nullish(),
  rooms: z.array(z.string()).nullish(),
};
const extensionsSchema = z
  .object({
    to_device: z
      .object({
        enabled: z.boolean().nullish(),
        limit: nonNegative.nullish(),
        since: z.string().regex(/^\d{1,18}$/, 'must be a to-device next_batch').nullish(),
      })
      .passthrough()
      .nullish(),
    e2ee: z.object({ enabled: z.boolean().nullish() }).passthrough().nullish(),
    account_data: z.object(scoped).passthrough().nullish(),
    receipts: z.object(scoped).passthrough().nullish(),
    typing: z.object(scoped).passthrough().nullish(),
  })
  .passthrough();

export const requestSchema = z
  .object({
    conn_id: z.string().max(64).nullish(),
    txn_id: z.string().max(255).nullish(),
    pos: z.string().nullish(),
    timeout: nonNegative.nullish(),
    set_presence: z.enum(['online', 'offline', 'unavailable']).nullish(),
    lists: z
      .record(z.string().min(1).max(64), listSchema)
      .refine((l) => Object.keys(l).length <= MAX_LISTS, `at most ${MAX_LISTS} lists`)
      .nullish(),
    room_subscriptions: z
      .record(z.string(), z.object(roomParams).passthrough())
      .refine((s) => Object.keys(s).length <= MAX_SUBSCRIPTIONS, `at most ${MAX_SUBSCRIPTIONS} room subscriptions`)
      .nullish(),
    extensions: extensionsSchema.nullish(),
  })
  .passthrough();

/** What decides which rooms a list or subscription returns and how much of each. */
export interface RoomConfig {
  timelineLimit: number;
  requiredState: RequiredState;
}

export interface ListFilters {
  isDm?: boolean;
  spaces?: string[];
  isEncrypted?: boolean;
  isInvite?: boolean;
  roomTypes?: (string | null)[];
  notRoomTypes?: (string | null)[];
  tags?: string[];
  notTags?: string[];
}

export interface ListRequest {
  config: RoomConfig;
  /** Inclusive index ranges; undefined means the whole list. */
  ranges?: [number, number][];
  filters: ListFilters;
}

/** An extension's `lists` and `rooms` scoping (undefined means every one, "*"). */
export interface Scope {
  lists: string[];
  rooms: string[];
}

export interface Extensions {
  toDevice?: { limit: number; since?: number };
  e2ee?: true;
  accountData?: Scope;
  receipts?: Scope;
  typing?: Scope;
}

export interface SlidingSyncRequest {
  connId: string;
  txnId?: string;
  pos?: string;
  timeoutMs: number;
  setPresence: 'online' | 'offline' | 'unavailable';
  lists: Record<string, ListRequest>;
  subscriptions: Record<string, RoomConfig>;
  extensions: Extensions;
}

type Body = z.output<typeof requestSchema>;

const configOf = (p: { required_state?: [string, string][]; timeline_limit: number }): RoomConfig => ({
  timelineLimit: Math.min(p.timeline_limit, MAX_TIMELINE_LIMIT),
  requiredState: fromPairs(p.required_state ?? []),
});

const scopeOf = (s: { lists?: string[] | null; rooms?: string[] | null }): Scope => ({ lists: s.lists ?? ['*'], rooms: s.rooms ?? ['*'] });

function filtersOf(f: z.output<typeof filtersSchema> | null | undefined): ListFilters {
  if (!f) return {};
  const out: ListFilters = {};
  if (f.is_dm !== undefined) out.isDm = f.is_dm;
  if (f.spaces !== undefined) out.spaces = f.spaces;
  if (f.is_encrypted !== undefined) out.isEncrypted = f.is_encrypted;
  const invite = f.is_invite ?? f.is_invited;
  if (invite !== undefined) out.isInvite = invite;
  if (f.room_types !== undefined) out.roomTypes = f.room_types;
  if (f.not_room_types !== undefined) out.notRoomTypes = f.not_room_types;
  if (f.tags !== undefined) out.tags = f.tags;
  if (f.not_tags !== undefined) out.notTags = f.not_tags;
  return out;
}

function extensionsOf(e: Body['extensions']): Extensions {
  const out: Extensions = {};
  if (!e) return out;
  if (e.to_device?.enabled) out.toDevice = { limit: Math.min(e.to_device.limit ?? MAX_TO_DEVICE, MAX_TO_DEVICE), since: e.to_device.since ? Number(e.to_device.since) : undefined };
  if (e.e2ee?.enabled) out.e2ee = true;
  if (e.account_data?.enabled) out.accountData = scopeOf(e.account_data);
  if (e.receipts?.enabled) out.receipts = scopeOf(e.receipts);
  if (e.typing?.enabled) out.typing = scopeOf(e.typing);
  return out;
}

/**
 * The request from its body and query parameters (`query(name)`); a parameter in the query string
 * wins over the same one in the body. Bad shapes are M_BAD_JSON, bad query parameters M_INVALID_PARAM.
 */
export function parseRequest(body: unknown, query: (name: string) => string | undefined): SlidingSyncRequest {
  const b = validate(requestSchema, body, ErrCode.BAD_JSON);
  const timeout = query('timeout');
  let timeoutMs = b.timeout ?? 0;
  if (timeout !== undefined) {
    if (!/^\d{1,12}$/.test(timeout)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'timeout must be a non-negative integer');
    timeoutMs = Number(timeout);
  }
  const presence = query('set_presence') ?? b.set_presence ?? 'online';
  if (presence !== 'online' && presence !== 'offline' && presence !== 'unavailable') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid set_presence');
  const lists: Record<string, ListRequest> = {};
  for (const [name, l] of Object.entries(b.lists ?? {})) {
    const ranges = l.ranges ?? (l.range ? [l.range] : undefined);
    lists[name] = { config: configOf(l), ranges, filters: filtersOf(l.filters) };
  }
  const subscriptions: Record<string, RoomConfig> = {};
  for (const [roomId, s] of Object.entries(b.room_subscriptions ?? {})) subscriptions[roomId] = configOf(s);
  const request: SlidingSyncRequest = {
    connId: b.conn_id ?? '',
    timeoutMs: Math.min(timeoutMs, MAX_TIMEOUT_MS),
    setPresence: presence,
    lists,
    subscriptions,
    extensions: extensionsOf(b.extensions),
  };
  const pos = query('pos') ?? b.pos ?? undefined;
  if (pos !== undefined && pos !== '') request.pos = pos;
  if (b.txn_id) request.txnId = b.txn_id;
  return request;
}
