// Room creation (spec: client-server "Creation"): the create event and the initial intents, in
// the order the spec prescribes: creator's join, power levels, canonical alias, the preset's
// join rules / history visibility / guest access, initial_state, name, topic, then invites.
import { ErrCode, MatrixError } from '../../matrix/errors';
import { buildEvent } from '../../matrix/event-builder';
import { generateLegacyRoomId } from '../../matrix/hashes';
import { defaultPowerLevelsContent } from '../../matrix/power-levels';
import { getRoomVersion, DEFAULT_ROOM_VERSION, type RoomVersion } from '../../matrix/room-versions';
import type { JsonObject, RoomEvent } from '../../matrix/types';
import type { Intent } from './intents';
import type { Signer } from './pipeline';

export type Preset = 'private_chat' | 'trusted_private_chat' | 'public_chat';

export interface CreateRoomRequest {
  visibility?: 'public' | 'private';
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: { type: string; state_key?: string; content: JsonObject }[];
  preset?: Preset;
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

const PRESETS: Record<Preset, { joinRule: string; history: string; guestCanJoin: boolean; invitesAreOps: boolean; plOverride: JsonObject }> = {
  private_chat: { joinRule: 'invite', history: 'shared', guestCanJoin: true, invitesAreOps: false, plOverride: { invite: 0 } },
  trusted_private_chat: { joinRule: 'invite', history: 'shared', guestCanJoin: true, invitesAreOps: true, plOverride: { invite: 0 } },
  public_chat: { joinRule: 'public', history: 'shared', guestCanJoin: false, invitesAreOps: false, plOverride: {} },
};

export function roomVersionFor(requested: string | undefined): RoomVersion {
  const version = getRoomVersion(requested ?? DEFAULT_ROOM_VERSION);
  if (!version) throw new MatrixError(400, ErrCode.UNSUPPORTED_ROOM_VERSION, 'This server does not support that room version');
  return version;
}

export interface PlannedRoom {
  roomId: string;
  createEvent: RoomEvent;
  intents: Intent[];
  published: boolean;
}

/** Builds the create event (which fixes the room id in v12) and the intents that follow it. */
export async function planRoom(
  req: CreateRoomRequest,
  creator: string,
  creatorProfile: JsonObject,
  alias: string | undefined,
  signer: Signer,
): Promise<PlannedRoom> {
  const version = roomVersionFor(req.room_version);
  const preset = PRESETS[req.preset ?? (req.visibility === 'public' ? 'public_chat' : 'private_chat')];
  const invites = req.invite ?? [];
  const overrideUsers = req.power_level_content_override?.users;
  if (!version.roomCreators && overrideUsers !== undefined && !(typeof overrideUsers === 'object' && overrideUsers !== null && creator in overrideUsers)) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, `power_level_content_override.users must contain the creator ${creator}`);
  }

  const createContent: JsonObject = { ...req.creation_content, room_version: version.id };
  if (!version.implicitRoomCreator) createContent.creator = creator;
  else delete createContent.creator;
  if (version.roomCreators && preset.invitesAreOps && invites.length) {
    const extra = Array.isArray(createContent.additional_creators) ? (createContent.additional_creators as string[]) : [];
    createContent.additional_creators = [...new Set([...extra, ...invites])];
  }
  const legacyRoomId = version.roomIdFormat === 'create-event' ? undefined : generateLegacyRoomId(signer.serverName);
  const built = await buildEvent(
    { type: 'm.room.create', stateKey: '', sender: creator, content: createContent },
    { version, roomId: legacyRoomId, serverName: signer.serverName, key: signer.key, prevEvents: [], authEvents: [] },
  );
  const roomId = built.roomId;

  const initialState = new Map<string, { type: string; stateKey: string; content: JsonObject }>();
  for (const s of req.initial_state ?? []) initialState.set(`${s.type}\u0000${s.state_key ?? ''}`, { type: s.type, stateKey: s.state_key ?? '', content: s.content });
  const has = (type: string) => initialState.has(`${type}\u0000`);
  const state = (type: string, content: JsonObject, stateKey = ''): Intent => ({ kind: 'event', sender: creator, type, content, stateKey });

  const intents: Intent[] = [{ kind: 'membership', sender: creator, target: creator, action: 'join', profile: creatorProfile }];

  const plFromState = initialState.get('m.room.power_levels\u0000');
  if (plFromState) {
    initialState.delete('m.room.power_levels\u0000');
    intents.push(state('m.room.power_levels', plFromState.content));
  } else {
    const pl: JsonObject = { ...defaultPowerLevelsContent(creator, version), invite: 50, historical: 100 };
    if (preset.invitesAreOps && !version.roomCreators) {
      pl.users = { ...(pl.users as JsonObject), ...Object.fromEntries(invites.map((u) => [u, 100])) };
    }
    Object.assign(pl, preset.plOverride, req.power_level_content_override);
    intents.push(state('m.room.power_levels', pl));
  }
  if (alias && !has('m.room.canonical_alias')) intents.push(state('m.room.canonical_alias', { alias }));
  if (!has('m.room.join_rules')) intents.push(state('m.room.join_rules', { join_rule: preset.joinRule }));
  if (!has('m.room.history_visibility')) intents.push(state('m.room.history_visibility', { history_visibility: preset.history }));
  if (preset.guestCanJoin && !has('m.room.guest_access')) intents.push(state('m.room.guest_access', { guest_access: 'can_join' }));
  for (const s of initialState.values()) intents.push(state(s.type, s.content, s.stateKey));
  if (req.name !== undefined) intents.push(state('m.room.name', { name: req.name }));
  if (req.topic !== undefined) intents.push(state('m.room.topic', { topic: req.topic, 'm.topic': { 'm.text': [{ body: req.topic }] } }));
  for (const target of invites) {
    intents.push({ kind: 'membership', sender: creator, target, action: 'invite', isDirect: req.is_direct === true });
  }
  return { roomId, createEvent: { eventId: built.eventId, pdu: built.pdu }, intents, published: req.visibility === 'public' };
}
