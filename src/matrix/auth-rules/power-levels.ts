// Auth rule 10 (rule 9 from v6 on): `m.room.power_levels` events.

import { parsePowerLevelsContent, POWER_LEVEL_INT_FIELDS, type PowerLevelIntField, roomCreators } from '../power-levels';
import type { RoomVersion } from '../room-versions';
import type { JsonObject, RoomEvent } from '../types';
import { ALLOWED, type AuthResult, rejected } from './result';
import { type AuthState, powerLevelsIn, stateEvent } from './state';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** v10+: every level must be a JSON integer, and events/notifications objects of integers. */
function checkIntegerTypes(content: JsonObject): string | null {
  for (const field of Object.keys(POWER_LEVEL_INT_FIELDS)) {
    if (field in content && !Number.isInteger(content[field])) return `${field} is not an integer`;
  }
  for (const field of ['events', 'notifications', 'users']) {
    if (!(field in content)) continue;
    const v = content[field];
    if (!isObject(v) || !Object.values(v).every((x) => Number.isInteger(x))) {
      return `${field} is not an object of integers`;
    }
  }
  return null;
}

export function checkPowerLevelsEvent(version: RoomVersion, event: RoomEvent, state: AuthState): AuthResult {
  const { pdu } = event;
  if (version.integerPowerLevels) {
    const reason = checkIntegerTypes(pdu.content);
    if (reason) return rejected('power_levels.invalid', reason);
  }
  const parsed = parsePowerLevelsContent(pdu.content, version);
  if (typeof parsed === 'string') return rejected('power_levels.invalid', parsed);

  if (version.roomCreators) {
    const creators = roomCreators(stateEvent(state, 'm.room.create', '')?.pdu, version);
    for (const user of parsed.users.keys()) {
      if (creators.has(user)) return rejected('power_levels.creator_listed', `room creator ${user} cannot be listed in users`);
    }
  }

  const current = powerLevelsIn(state, version);
  if (!current.hasPowerLevelsEvent) return ALLOWED;
  const old = current.parsed!;
  const senderLevel = current.userLevel(pdu.sender);

  for (const field of Object.keys(POWER_LEVEL_INT_FIELDS) as PowerLevelIntField[]) {
    const before = old.ints[field];
    const after = parsed.ints[field];
    if (before === after) continue;
    if ((before !== undefined && before > senderLevel) || (after !== undefined && after > senderLevel)) {
      return rejected('power_levels.field_power', `cannot change ${field} beyond own level`);
    }
  }

  const maps: ('events' | 'notifications')[] = version.limitNotificationsPowerLevels ? ['events', 'notifications'] : ['events'];
  for (const field of maps) {
    const r = checkMapChanges(old[field], parsed[field], senderLevel, false, undefined);
    if (r) return rejected('power_levels.events_power', `cannot change ${field}[${JSON.stringify(r)}] beyond own level`);
  }
  const r = checkMapChanges(old.users, parsed.users, senderLevel, true, pdu.sender);
  if (r) return rejected('power_levels.users_power', `cannot change the level of ${r}`);
  return ALLOWED;
}

/**
 * The first key whose change is not allowed, or undefined. Changed or removed entries need the
 * current value <= sender level (users: < sender level, except the sender's own entry);
 * added or changed entries need the new value <= sender level.
 */
function checkMapChanges(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  senderLevel: number,
  isUsers: boolean,
  sender: string | undefined,
): string | undefined {
  for (const [key, oldValue] of before) {
    const newValue = after.get(key);
    if (newValue === oldValue) continue;
    const tooHigh = isUsers && key !== sender ? oldValue >= senderLevel : oldValue > senderLevel;
    if (tooHigh) return key;
  }
  for (const [key, newValue] of after) {
    if (before.get(key) === newValue) continue;
    if (newValue > senderLevel) return key;
  }
  return undefined;
}

