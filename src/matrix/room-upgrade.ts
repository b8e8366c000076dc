// Room upgrades (spec: client-server "Room Upgrades", server behaviour): the replacement room's
// create content, the power levels the upgrade needs and leaves behind, and how the canonical
// alias is split between the two rooms. Levels follow Synapse where the spec leaves a choice.
import { parsePowerLevelValue } from './power-levels';
import type { RoomVersion } from './room-versions';
import type { JsonObject, Pdu } from './types';

/** State carried over to the replacement room (spec's recommended list). */
export const TRANSFERABLE_STATE = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.join_rules',
  'm.room.power_levels',
] as const;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The replacement room's create content (without room_version and creator, which room creation
 * adds): the predecessor, the room type, `m.federate: false` if the old room had it, and the
 * additional creators where the new version has them (they are never copied from the old room).
 */
export function upgradedCreateContent(
  oldCreate: Pdu,
  oldRoomId: string,
  newVersion: RoomVersion,
  opts: { lastEventId?: string; additionalCreators?: string[] },
): JsonObject {
  const predecessor: JsonObject = { room_id: oldRoomId };
  // Deprecated since v1.16 but still to be set where practical: the last event known in the old room.
  if (opts.lastEventId !== undefined) predecessor.event_id = opts.lastEventId;
  const content: JsonObject = { predecessor };
  if (oldCreate.content.type !== undefined) content.type = oldCreate.content.type;
  if (oldCreate.content['m.federate'] === false) content['m.federate'] = false;
  if (newVersion.roomCreators && opts.additionalCreators?.length) content.additional_creators = [...new Set(opts.additionalCreators)];
  return content;
}

/** Power levels as plain integers (stringy and floaty levels of old versions converted; junk dropped). */
export function integerPowerLevels(content: JsonObject, version: RoomVersion): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(content)) {
    if (isObject(value)) {
      const map: Record<string, number> = {};
      for (const [k, v] of Object.entries(value)) {
        const n = parsePowerLevelValue(v, version);
        if (n !== undefined) map[k] = n;
      }
      out[key] = map;
    } else {
      const n = parsePowerLevelValue(value, version);
      if (n !== undefined) out[key] = n;
    }
  }
  return out;
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);

/**
 * The upgrader's level raised, if needed, to the highest level any state event needs, so that they
 * can copy the whole state into the new room (the old levels are restored afterwards).
 */
export function raisedForUpgrade(powerLevels: JsonObject, userId: string): JsonObject {
  const events = isObject(powerLevels.events) ? Object.values(powerLevels.events).filter((v): v is number => typeof v === 'number') : [];
  const needed = Math.max(num(powerLevels.state_default, 50), num(powerLevels.ban, 50), ...events, 0);
  const users = isObject(powerLevels.users) ? powerLevels.users : {};
  const current = num(users[userId], num(powerLevels.users_default, 0));
  if (current >= needed) return powerLevels;
  return { ...powerLevels, users: { ...users, [userId]: needed } };
}

/** From room version 12, creators must not be listed in `users`. */
export function withoutCreators(powerLevels: JsonObject, creators: Iterable<string>): JsonObject {
  if (!isObject(powerLevels.users)) return powerLevels;
  const users = { ...powerLevels.users };
  for (const c of creators) delete users[c];
  return { ...powerLevels, users };
}

/**
 * The old room's levels after the upgrade: sending events and inviting need the greater of 50
 * and users_default + 1. Undefined when they already do.
 */
export function restrictedAfterUpgrade(powerLevels: JsonObject): JsonObject | undefined {
  const restricted = Math.max(num(powerLevels.users_default, 0) + 1, 50);
  let changed = false;
  const out = { ...powerLevels };
  for (const key of ['invite', 'events_default'] as const) {
    if (num(out[key], 0) < restricted) {
      out[key] = restricted;
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/**
 * Moving from a version where creators have unlimited power to one where they do not: the old
 * creators get the highest level the content names, so that the room is not left without anyone
 * able to administer it (or to upgrade it again).
 */
export function creatorsAtTopLevel(powerLevels: JsonObject, creators: Iterable<string>): JsonObject {
  const levels: number[] = [];
  for (const value of Object.values(powerLevels)) {
    if (typeof value === 'number') levels.push(value);
    else if (isObject(value)) levels.push(...Object.values(value).filter((v): v is number => typeof v === 'number'));
  }
  const top = Math.max(100, ...levels);
  const users = isObject(powerLevels.users) ? { ...powerLevels.users } : {};
  for (const c of creators) users[c] = top;
  return { ...powerLevels, users };
}
