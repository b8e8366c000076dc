// Room upgrades (spec: client-server "Room Upgrades", server behaviour), in Synapse's order:
// check the upgrader may send m.room.tombstone; create the replacement room (predecessor, type,
// transferable state with the upgrader's level raised just enough to copy it, space children,
// bans); tombstone the old room; move the local aliases and the canonical alias; move the
// directory listing; then restrict the old room's levels and restore the original ones in the new
// room. Steps after the tombstone are best effort, as in Synapse: the upgrade has happened.
import type { Db } from '../../db/client';
import { isPublished, moveAliases, setPublished } from '../../db/queries/directory';
import { timeline } from '../../db/queries/rooms';
import { getProfile } from '../../db/queries/user-data';
import { splitCanonicalAlias } from '../../matrix/canonical-alias';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { serverNameOf } from '../../matrix/ids';
import { PowerLevels, roomCreators } from '../../matrix/power-levels';
import {
  creatorsAtTopLevel,
  integerPowerLevels,
  raisedForUpgrade,
  restrictedAfterUpgrade,
  TRANSFERABLE_STATE,
  upgradedCreateContent,
  withoutCreators,
} from '../../matrix/room-upgrade';
import type { RoomVersion } from '../../matrix/room-versions';
import type { JsonObject, RoomEvent } from '../../matrix/types';
import { planRoom, type CreateRoomRequest } from './create-room';
import type { Intent } from './intents';
import type { Signer } from './pipeline';
import { loadSnapshot, type RoomSnapshot } from './snapshot';

/** What the upgrade needs of the rooms' objects. */
export interface RoomObjects {
  create(roomId: string, createEvent: RoomEvent, intents: Intent[], published: boolean): Promise<unknown>;
  submit(roomId: string, intent: Intent): Promise<{ eventId: string }>;
}

export interface UpgradeRequest {
  roomId: string;
  userId: string;
  newVersion: RoomVersion;
  /** Creators besides the upgrader, for versions with additional creators (never copied from the old room). */
  additionalCreators?: string[];
}

const state = (sender: string, type: string, content: JsonObject): Intent => ({ kind: 'event', sender, type, stateKey: '', content });

/** The old room's levels as the new room version needs them (before the upgrader's temporary raise). */
function carriedLevels(old: RoomSnapshot, req: UpgradeRequest, content: JsonObject): JsonObject {
  const levels = integerPowerLevels(content, old.version);
  if (req.newVersion.roomCreators) return withoutCreators(levels, [req.userId, ...(req.additionalCreators ?? [])]);
  if (old.version.roomCreators) return creatorsAtTopLevel(levels, old.powerLevels().creators);
  return levels;
}

/** The old room's state for the new room's initial_state: the transferable events, and a space's children. */
function initialState(old: RoomSnapshot, req: UpgradeRequest): { type: string; state_key: string; content: JsonObject }[] {
  const out: { type: string; state_key: string; content: JsonObject }[] = [];
  for (const type of TRANSFERABLE_STATE) {
    const content = old.content(type);
    if (!content) continue;
    if (type !== 'm.room.power_levels') {
      out.push({ type, state_key: '', content });
      continue;
    }
    const levels = carriedLevels(old, req, content);
    // Where the upgrader creates a version with creator power, their power is already unlimited.
    out.push({ type, state_key: '', content: req.newVersion.roomCreators ? levels : raisedForUpgrade(levels, req.userId) });
  }
  if (old.content('m.room.create')?.type === 'm.space') {
    for (const e of old.state.values()) {
      // A child with empty content was removed from the space.
      if (e.pdu.type === 'm.space.child' && Object.keys(e.pdu.content).length) out.push({ type: e.pdu.type, state_key: e.pdu.state_key!, content: e.pdu.content });
    }
  }
  return out;
}

/** Bans of the old room, as intents for the new one: those the upgrader's (raised) level can make. */
function banIntents(old: RoomSnapshot, req: UpgradeRequest, createEvent: RoomEvent, intents: Intent[]): Intent[] {
  const plIntent = intents.find((i) => i.kind === 'event' && i.type === 'm.room.power_levels');
  const pl = new PowerLevels(req.newVersion, plIntent?.kind === 'event' ? plIntent.content : undefined, roomCreators(createEvent.pdu, req.newVersion));
  const out: Intent[] = [];
  for (const e of old.state.values()) {
    if (e.pdu.type !== 'm.room.member' || e.pdu.content.membership !== 'ban') continue;
    const target = e.pdu.state_key!;
    if (!pl.canBan(req.userId, target)) continue;
    const { membership: _m, reason, ...extra } = e.pdu.content;
    out.push({ kind: 'membership', sender: req.userId, target, action: 'ban', reason: typeof reason === 'string' ? reason : undefined, extra });
  }
  return out;
}

async function bestEffort(what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (e) {
    if (!(e instanceof MatrixError)) throw e;
    console.warn(`[upgrade] ${what} failed: ${e.message}`);
  }
}

export async function upgradeRoom(db: Db, rooms: RoomObjects, signer: Signer, req: UpgradeRequest): Promise<string> {
  const { roomId, userId } = req;
  const old = await loadSnapshot(db, roomId);
  if (!old) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown room');
  // The RoomDO authorises the tombstone again when it is sent; this refuses before anything is created.
  if (old.membership(userId) !== 'join' || !old.powerLevels().canSend(userId, 'm.room.tombstone', true)) {
    throw new MatrixError(403, ErrCode.FORBIDDEN, 'You cannot upgrade this room');
  }
  const [published, [last], profile] = await Promise.all([isPublished(db, roomId), timeline(db, roomId, { dir: 'b', limit: 1 }), getProfile(db, userId)]);

  const request: CreateRoomRequest = {
    room_version: req.newVersion.id,
    // Everything a preset would set comes from initial_state; what it lacks, private_chat fills in.
    preset: 'private_chat',
    visibility: published ? 'public' : 'private',
    creation_content: upgradedCreateContent(old.event('m.room.create')!.pdu, roomId, req.newVersion, {
      lastEventId: last?.eventId,
      additionalCreators: req.additionalCreators,
    }),
    initial_state: initialState(old, req),
  };
  const plan = await planRoom(request, userId, profile ?? {}, undefined, signer);
  const newRoomId = plan.roomId;
  await rooms.create(newRoomId, plan.createEvent, [...plan.intents, ...banIntents(old, req, plan.createEvent, plan.intents)], plan.published);

  await rooms.submit(roomId, state(userId, 'm.room.tombstone', { body: 'This room has been replaced', replacement_room: newRoomId }));

  const local = (alias: string) => serverNameOf(alias) === signer.serverName;
  await moveAliases(db, roomId, newRoomId);
  const canonical = old.content('m.room.canonical_alias');
  if (canonical) {
    const split = splitCanonicalAlias(canonical, local);
    await bestEffort('updating the old canonical alias', () => rooms.submit(roomId, state(userId, 'm.room.canonical_alias', split.old)));
    if (Object.keys(split.new).length) {
      await bestEffort('setting the new canonical alias', () => rooms.submit(newRoomId, state(userId, 'm.room.canonical_alias', split.new)));
    }
  }
  if (published) await setPublished(db, roomId, false);

  const oldLevels = old.content('m.room.power_levels');
  if (oldLevels) {
    const restricted = restrictedAfterUpgrade(integerPowerLevels(oldLevels, old.version));
    if (restricted) await bestEffort('restricting the old room', () => rooms.submit(roomId, state(userId, 'm.room.power_levels', restricted)));
    const restored = carriedLevels(old, req, oldLevels);
    await bestEffort('restoring the power levels', () => rooms.submit(newRoomId, state(userId, 'm.room.power_levels', restored)));
  }
  return newRoomId;
}
