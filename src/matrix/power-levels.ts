// Power levels (spec: client-server `m.room.power_levels`, server-server "Definitions" of
// required power level / invite, kick, ban, redact levels, rooms/v1 stringy and floaty power
// levels, rooms/v10 integer power levels, rooms/v12 room creators).

import { isValidUserId } from './ids';
import type { RoomVersion } from './room-versions';
import type { JsonObject, Pdu } from './types';

/** Fields holding one integer, with their defaults when the power levels event omits them. */
export const POWER_LEVEL_INT_FIELDS = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  kick: 50,
  redact: 50,
  invite: 0,
} as const;

export type PowerLevelIntField = keyof typeof POWER_LEVEL_INT_FIELDS;

/** The level needed to trigger an `@room` notification when unspecified. */
export const DEFAULT_NOTIFICATION_ROOM_LEVEL = 50;

/** The room creator's level in v1–v11 rooms without a power levels event. */
export const CREATOR_DEFAULT_POWER_LEVEL = 100;

// Stringy power levels (v1–v9): optional whitespace, an optional sign, decimal digits.
const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;

/**
 * Reads one power level value as the room version allows: integers always; strings holding
 * an integer in v1–v9; floats (truncated toward zero) in v1–v5. Undefined when not valid.
 */
export function parsePowerLevelValue(value: unknown, version: RoomVersion): number | undefined {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return Number.isSafeInteger(value) || version.floatPowerLevels ? value : undefined;
    if (version.floatPowerLevels && Number.isFinite(value)) return Math.trunc(value);
    return undefined;
  }
  if (typeof value === 'string' && version.stringPowerLevels && INTEGER_STRING.test(value)) {
    return Number.parseInt(value.trim(), 10);
  }
  return undefined;
}

/** The parsed content of a power levels event; absent fields are undefined (not defaulted). */
export interface PowerLevelsContent {
  readonly ints: Readonly<Partial<Record<PowerLevelIntField, number>>>;
  readonly users: ReadonlyMap<string, number>;
  readonly events: ReadonlyMap<string, number>;
  readonly notifications: ReadonlyMap<string, number>;
}

function parseIntMap(value: unknown, version: RoomVersion): Map<string, number> | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(value)) {
    const n = parsePowerLevelValue(v, version);
    if (n === undefined) return `value for ${JSON.stringify(k)} is not a valid power level`;
    out.set(k, n);
  }
  return out;
}

/**
 * Parses power levels content, returning the reason it is malformed for this room version
 * when it is. Invalid `users` keys (not user ids) are malformed in every version.
 */
export function parsePowerLevelsContent(content: JsonObject, version: RoomVersion): PowerLevelsContent | string {
  const ints: Partial<Record<PowerLevelIntField, number>> = {};
  for (const field of Object.keys(POWER_LEVEL_INT_FIELDS) as PowerLevelIntField[]) {
    if (!(field in content)) continue;
    const n = parsePowerLevelValue(content[field], version);
    if (n === undefined) return `${field} is not a valid power level`;
    ints[field] = n;
  }
  const maps: Record<'users' | 'events' | 'notifications', Map<string, number>> = {
    users: new Map(),
    events: new Map(),
    notifications: new Map(),
  };
  for (const field of ['users', 'events', 'notifications'] as const) {
    if (!(field in content)) continue;
    // Before v6 `notifications` plays no part in the auth rules, so it cannot make the
    // event invalid; its valid entries are still used (for @room).
    const m = field === 'notifications' && !version.limitNotificationsPowerLevels
      ? lenientIntMap(content[field], version)
      : parseIntMap(content[field], version);
    if (typeof m === 'string') return `${field}: ${m}`;
    maps[field] = m;
  }
  for (const user of maps.users.keys()) {
    if (!isValidUserId(user)) return `users: ${JSON.stringify(user)} is not a valid user id`;
  }
  return { ints, ...maps };
}

// Parsed content by content object: power levels are read for nearly every auth check, and
// content objects of stored events are immutable.
const parsedCache = new WeakMap<object, Map<string, PowerLevelsContent | string>>();

function parseCached(content: JsonObject, version: RoomVersion): PowerLevelsContent | string {
  let byVersion = parsedCache.get(content);
  if (!byVersion) parsedCache.set(content, (byVersion = new Map()));
  let parsed = byVersion.get(version.id);
  if (parsed === undefined) byVersion.set(version.id, (parsed = parsePowerLevelsContent(content, version)));
  return parsed;
}

/** The room creators: v12 sender + additional_creators; earlier, `creator` (v1–v10) or sender (v11). */
export function roomCreators(create: Pdu | undefined, version: RoomVersion): ReadonlySet<string> {
  if (!create) return new Set();
  if (!version.implicitRoomCreator) {
    const creator = create.content.creator;
    return new Set(typeof creator === 'string' ? [creator] : []);
  }
  const creators = new Set([create.sender]);
  if (version.roomCreators && Array.isArray(create.content.additional_creators)) {
    for (const c of create.content.additional_creators) if (typeof c === 'string') creators.add(c);
  }
  return creators;
}

/** Effective power levels of a room: its power levels event (if any) plus its creators. */
export class PowerLevels {
  private readonly content: PowerLevelsContent | undefined;

  constructor(
    readonly version: RoomVersion,
    /** The power levels event content, if the room has one. */
    content: JsonObject | undefined,
    readonly creators: ReadonlySet<string>,
  ) {
    const parsed = content === undefined ? undefined : parseCached(content, version);
    // Content that does not parse was rejected by the auth rules when it was sent; if one
    // reaches us anyway (accepted elsewhere), its fields fall back to the defaults.
    this.content = typeof parsed === 'string' ? parseLenient(content!, version) : parsed;
  }

  /** From the create and power levels events of a state. */
  static fromEvents(version: RoomVersion, create: Pdu | undefined, powerLevels: Pdu | undefined): PowerLevels {
    return new PowerLevels(version, powerLevels?.content, roomCreators(create, version));
  }

  get hasPowerLevelsEvent(): boolean {
    return this.content !== undefined;
  }

  /** One of ban/kick/redact/invite/state_default/events_default/users_default, defaulted. */
  level(field: PowerLevelIntField): number {
    return this.content?.ints[field] ?? POWER_LEVEL_INT_FIELDS[field];
  }

  /**
   * A user's level: Infinity for v12 room creators; else `users[user]`, `users_default`, or
   * without a power levels event 100 for the creator and 0 for everyone else.
   */
  userLevel(userId: string): number {
    if (this.version.roomCreators && this.creators.has(userId)) return Infinity;
    if (this.content === undefined) {
      return !this.version.roomCreators && this.creators.has(userId) ? CREATOR_DEFAULT_POWER_LEVEL : 0;
    }
    return this.content.users.get(userId) ?? this.level('users_default');
  }

  /** The *required power level* to send an event of this type (state or not). */
  eventLevel(eventType: string, isState: boolean): number {
    return this.content?.events.get(eventType) ?? this.level(isState ? 'state_default' : 'events_default');
  }

  /** The level for a notification key such as `room` (@room). */
  notificationLevel(key: string): number {
    return this.content?.notifications.get(key) ?? (key === 'room' ? DEFAULT_NOTIFICATION_ROOM_LEVEL : 50);
  }

  canSend(userId: string, eventType: string, isState: boolean): boolean {
    return this.userLevel(userId) >= this.eventLevel(eventType, isState);
  }

  canInvite(userId: string): boolean {
    return this.userLevel(userId) >= this.level('invite');
  }

  /** Kick: kick level and strictly more than the target. */
  canKick(userId: string, target: string): boolean {
    const level = this.userLevel(userId);
    return level >= this.level('kick') && this.userLevel(target) < level;
  }

  /** Ban: ban level and strictly more than the target. */
  canBan(userId: string, target: string): boolean {
    const level = this.userLevel(userId);
    return level >= this.level('ban') && this.userLevel(target) < level;
  }

  /** Unban: ban level, kick level and strictly more than the target (rooms/v1 note). */
  canUnban(userId: string, target: string): boolean {
    return this.canBan(userId, target) && this.canKick(userId, target);
  }

  /**
   * Redact: one's own events need only the `m.room.redaction` event level; others' events
   * also need the redact level.
   */
  canRedact(userId: string, ownEvent: boolean): boolean {
    if (!this.canSend(userId, 'm.room.redaction', false)) return false;
    return ownEvent || this.userLevel(userId) >= this.level('redact');
  }

  canNotify(userId: string, key: string): boolean {
    return this.userLevel(userId) >= this.notificationLevel(key);
  }

  /** Parsed content (undefined without a power levels event). */
  get parsed(): PowerLevelsContent | undefined {
    return this.content;
  }
}

/** The valid entries of a map of power levels, ignoring the rest. */
function lenientIntMap(v: unknown, version: RoomVersion): Map<string, number> {
  const out = new Map<string, number>();
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) {
      const n = parsePowerLevelValue(x, version);
      if (n !== undefined) out.set(k, n);
    }
  }
  return out;
}

function parseLenient(content: JsonObject, version: RoomVersion): PowerLevelsContent {
  const ints: Partial<Record<PowerLevelIntField, number>> = {};
  for (const field of Object.keys(POWER_LEVEL_INT_FIELDS) as PowerLevelIntField[]) {
    const n = parsePowerLevelValue(content[field], version);
    if (n !== undefined) ints[field] = n;
  }
  const map = (v: unknown) => lenientIntMap(v, version);
  return { ints, users: map(content.users), events: map(content.events), notifications: map(content.notifications) };
}

/**
 * Default power levels content for a new room (client-server "Creation"): the creator at
 * 100 (omitted in v12, where creators cannot be listed), and in v12 `m.room.tombstone`
 * above state_default as the spec requires.
 */
export function defaultPowerLevelsContent(creator: string, version: RoomVersion): JsonObject {
  const events: Record<string, number> = {
    'm.room.name': 50,
    'm.room.power_levels': 100,
    'm.room.history_visibility': 100,
    'm.room.canonical_alias': 50,
    'm.room.avatar': 50,
    'm.room.tombstone': version.roomCreators ? 150 : 100,
    'm.room.server_acl': 100,
    'm.room.encryption': 100,
  };
  return {
    users: version.roomCreators ? {} : { [creator]: 100 },
    users_default: 0,
    events,
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
  };
}
