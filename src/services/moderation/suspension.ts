// What a suspended account may not do (spec: client-server "Account suspension"). The spec leaves
// the list to servers; this is its recommended one: no joining or knocking, no invites, no sending
// into rooms (messages, state, typing, new rooms, upgrades, other people's memberships), no profile
// changes, no redacting other users' events. Publishing (media uploads, aliases, the room
// directory) goes with sending. Everything else stays open: reading and /sync, leaving rooms and
// rejecting invites, redacting one's own events, devices, keys, key backup, account data, logout,
// deactivation. Checked once per request from requireAuth, by method and path, so no handler needs
// to know about suspension.
import { httpDb } from '../../db/client';
import { getEvent } from '../../db/queries/rooms';
import type { Ctx } from '../../http/context';
import { userSuspended } from './errors';

/** An action some suspended requests may still take: decides from the request (its body, the event it names). */
type Exception = (c: Ctx, m: RegExpExecArray) => Promise<boolean>;

interface Rule {
  methods: string[];
  /** Matched against the path after the API prefix (/_matrix/client/v3, /_matrix/media/v1...). */
  path: RegExp;
  what: string;
  unless?: Exception;
}

/** The request body as JSON, read from a copy so that the handler still reads the original. */
async function peekJson(c: Ctx): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await c.req.raw.clone().json();
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the event exists and the requester sent it (a redaction of one's own event is allowed). */
async function ownEvent(c: Ctx, eventId: unknown): Promise<boolean> {
  if (typeof eventId !== 'string') return false;
  const event = await getEvent(httpDb(c.env), eventId);
  return event?.pdu.sender === c.get('requester').userId;
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const RULES: Rule[] = [
  { methods: ['POST'], path: /^\/createRoom$/, what: 'create rooms' },
  { methods: ['POST'], path: /^\/(?:join|knock)\/[^/]+$/, what: 'join or knock on rooms' },
  { methods: ['POST'], path: /^\/rooms\/[^/]+\/join$/, what: 'join rooms' },
  { methods: ['POST'], path: /^\/rooms\/[^/]+\/invite$/, what: 'send invites' },
  { methods: ['POST'], path: /^\/rooms\/[^/]+\/(?:kick|ban|unban)$/, what: 'change the membership of others' },
  { methods: ['POST'], path: /^\/rooms\/[^/]+\/upgrade$/, what: 'upgrade rooms' },
  {
    methods: ['PUT'],
    path: /^\/rooms\/[^/]+\/send\/([^/]+)\/[^/]+$/,
    what: 'send messages',
    // Through /send (MSC4169) a redaction is a redaction: of one's own event, allowed.
    unless: async (c, m) => decode(m[1]) === 'm.room.redaction' && ownEvent(c, (await peekJson(c))?.redacts),
  },
  { methods: ['PUT'], path: /^\/rooms\/[^/]+\/redact\/([^/]+)\/[^/]+$/, what: "redact other users' events", unless: (c, m) => ownEvent(c, decode(m[1])) },
  {
    methods: ['PUT'],
    path: /^\/rooms\/[^/]+\/state\/([^/]+)(?:\/([^/]*))?\/?$/,
    what: 'send state events',
    // Leaving through the state API is leaving.
    unless: async (c, m) =>
      decode(m[1]) === 'm.room.member' && decode(m[2] ?? '') === c.get('requester').userId && (await peekJson(c))?.membership === 'leave',
  },
  { methods: ['PUT'], path: /^\/rooms\/[^/]+\/typing\/[^/]+$/, what: 'send typing notifications' },
  { methods: ['PUT', 'DELETE'], path: /^\/profile\/[^/]+\/[^/]+$/, what: 'change profile data' },
  { methods: ['PUT'], path: /^\/directory\/room\/[^/]+$/, what: 'create room aliases' },
  { methods: ['PUT'], path: /^\/directory\/list\/room\/[^/]+$/, what: 'publish rooms' },
  { methods: ['POST'], path: /^\/(?:upload|create)$/, what: 'upload media' },
  { methods: ['PUT'], path: /^\/upload\/[^/]+\/[^/]+$/, what: 'upload media' },
];

/** The path after /_matrix/client/<version> or /_matrix/media/<version>. */
const API_PREFIX = /^\/_matrix\/(?:client|media)\/[^/]+(\/.*)$/;

/** Throws 403 M_USER_SUSPENDED if a suspended requester asks for something suspension forbids. */
export async function refuseIfSuspended(c: Ctx): Promise<void> {
  const path = API_PREFIX.exec(c.req.path)?.[1];
  if (path === undefined) return;
  for (const rule of RULES) {
    if (!rule.methods.includes(c.req.method)) continue;
    const m = rule.path.exec(path);
    if (!m) continue;
    if (rule.unless && (await rule.unless(c, m))) return;
    throw userSuspended(`You cannot ${rule.what} while your account is suspended.`);
  }
}
