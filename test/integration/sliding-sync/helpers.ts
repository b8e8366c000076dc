// Simplified sliding sync (MSC4186) as a client uses it: POST requests with `pos` and `timeout` in
// the query string, as matrix-rust-sdk sends them, and every 200 body checked against the
// response shape of MSC4186 as Synapse serves it (the spec has no schema for it yet).
import { expect } from 'vitest';
import { z } from 'zod';
import { call, type Reply } from '../helpers/client';

export const SS_PATH = '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync';

/** The room member state Element X asks for in its room list (matrix-rust-sdk RoomListService). */
export const ELEMENT_X_REQUIRED_STATE: [string, string][] = [
  ['m.room.name', ''],
  ['m.room.encryption', ''],
  ['m.room.member', '$LAZY'],
  ['m.room.member', '$ME'],
  ['m.room.topic', ''],
  ['m.room.avatar', ''],
  ['m.room.canonical_alias', ''],
  ['m.room.power_levels', ''],
  ['org.matrix.msc3401.call.member', '*'],
  ['m.room.join_rules', ''],
  ['m.room.tombstone', ''],
  ['m.room.create', ''],
  ['m.room.history_visibility', ''],
  ['io.element.functional_members', ''],
  ['m.space.parent', '*'],
  ['m.space.child', '*'],
  ['org.matrix.msc3672.beacon_info', '*'],
];

const event = z
  .object({
    type: z.string(),
    content: z.record(z.string(), z.unknown()),
    sender: z.string(),
    event_id: z.string(),
    origin_server_ts: z.number().int(),
    state_key: z.string().optional(),
    redacts: z.string().optional(),
    unsigned: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
const stateEvent = z.object({ type: z.string(), state_key: z.string(), content: z.record(z.string(), z.unknown()), sender: z.string(), event_id: z.string(), origin_server_ts: z.number().int() }).passthrough();
const stripped = z.object({ type: z.string(), state_key: z.string(), content: z.record(z.string(), z.unknown()), sender: z.string() }).strict();
const count = z.number().int().min(0);
const room = z
  .object({
    name: z.string().nullable().optional(),
    avatar: z.string().nullable().optional(),
    heroes: z.array(z.object({ user_id: z.string(), displayname: z.string().optional(), avatar_url: z.string().optional() }).strict()).min(1).optional(),
    initial: z.literal(true).optional(),
    is_dm: z.literal(true).optional(),
    membership: z.enum(['join', 'invite', 'knock', 'leave', 'ban']).optional(),
    lists: z.array(z.string()).optional(),
    required_state: z.array(stateEvent).min(1).optional(),
    timeline: z.array(event).min(1).optional(),
    prev_batch: z.string().optional(),
    limited: z.boolean().optional(),
    num_live: count.optional(),
    unstable_expanded_timeline: z.literal(true).optional(),
    bump_stamp: count.optional(),
    joined_count: count.optional(),
    invited_count: count.optional(),
    notification_count: count.optional(),
    highlight_count: count.optional(),
    invite_state: z.array(stripped).min(1).optional(),
  })
  .strict();
const ephemeralRooms = z.record(z.string(), z.object({ type: z.string(), content: z.record(z.string(), z.unknown()) }).strict());
export const responseSchema = z
  .object({
    pos: z.string().min(1),
    txn_id: z.string().optional(),
    lists: z.record(z.string(), z.object({ count }).strict()),
    rooms: z.record(z.string().startsWith('!'), room),
    extensions: z
      .object({
        to_device: z.object({ next_batch: z.string(), events: z.array(z.object({ sender: z.string(), type: z.string(), content: z.record(z.string(), z.unknown()) }).strict()) }).strict().optional(),
        e2ee: z
          .object({
            device_one_time_keys_count: z.record(z.string(), count),
            device_unused_fallback_key_types: z.array(z.string()),
            device_lists: z.object({ changed: z.array(z.string()), left: z.array(z.string()) }).strict().optional(),
          })
          .strict()
          .optional(),
        account_data: z
          .object({ global: z.array(z.object({ type: z.string(), content: z.record(z.string(), z.unknown()) }).strict()), rooms: z.record(z.string(), z.array(z.object({ type: z.string(), content: z.record(z.string(), z.unknown()) }).strict())) })
          .strict()
          .optional(),
        receipts: z.object({ rooms: ephemeralRooms }).strict().optional(),
        typing: z.object({ rooms: ephemeralRooms }).strict().optional(),
      })
      .strict(),
  })
  .strict();

export type SsBody = z.infer<typeof responseSchema>;
export type SsRoom = z.infer<typeof room>;

export interface SsQuery {
  pos?: string;
  timeout?: number | string;
  set_presence?: string;
}

function path(q: SsQuery): string {
  const qs = new URLSearchParams();
  if (q.pos !== undefined) qs.set('pos', q.pos);
  if (q.timeout !== undefined) qs.set('timeout', String(q.timeout));
  if (q.set_presence !== undefined) qs.set('set_presence', q.set_presence);
  const s = qs.toString();
  return `${SS_PATH}${s ? `?${s}` : ''}`;
}

export function ssRaw(user: { token: string }, body: unknown, q: SsQuery = {}): Promise<Reply> {
  return call('POST', path(q), { token: user.token, body });
}

/** A sliding sync request that must succeed; the body is checked against the response shape. */
export async function ss(user: { token: string }, body: Record<string, unknown>, q: SsQuery = {}): Promise<SsBody> {
  const r = await ssRaw(user, body, { set_presence: 'offline', ...q });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const parsed = responseSchema.safeParse(r.body);
  expect(parsed.success ? [] : parsed.error.issues, `response does not have the MSC4186 shape: ${JSON.stringify(r.body)}`).toEqual([]);
  return r.body as SsBody;
}

/** A request body with one list named `name`. */
export function listBody(list: Record<string, unknown>, extra: Record<string, unknown> = {}, name = 'all'): Record<string, unknown> {
  return { lists: { [name]: { timeline_limit: 1, required_state: [], ...list } }, ...extra };
}

export const timelineIds = (r: SsRoom | undefined): string[] => (r?.timeline ?? []).map((e) => e.event_id);
export const stateOf = (r: SsRoom | undefined, type: string, key = '') => r?.required_state?.find((e) => e.type === type && e.state_key === key);
export const memberKeys = (r: SsRoom | undefined) => (r?.required_state ?? []).filter((e) => e.type === 'm.room.member').map((e) => e.state_key).sort();

/** The room ids of a list's window, most recent first, as the client orders them by bump_stamp. */
export function byRecency(b: SsBody): string[] {
  return Object.entries(b.rooms)
    .sort(([, a], [, c]) => (c.bump_stamp ?? 0) - (a.bump_stamp ?? 0))
    .map(([id]) => id);
}
