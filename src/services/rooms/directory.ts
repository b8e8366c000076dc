// Room aliases and directory visibility (spec: client-server "Room aliases", "Published room
// directory"). Who may do what follows Synapse: creating an alias needs membership; deleting one
// needs to be its creator, a server admin, or someone who may send m.room.canonical_alias;
// publishing needs the latter two.
import type { Db } from '../../db/client';
import { insertAlias, resolveAlias } from '../../db/queries/aliases';
import { aliasEntry, aliasesOfRoom, deleteAliasOf, isPublished, joinedServers, setPublished } from '../../db/queries/directory';
import type { Requester } from '../../http/context';
import { withoutAlias } from '../../matrix/canonical-alias';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { checkRoomId, serverNameOf } from '../../matrix/ids';
import type { Intent } from './intents';
import { loadSnapshot, powerSelection, type RoomSnapshot } from './snapshot';

export type Submit = (roomId: string, intent: Intent) => Promise<{ eventId: string }>;

const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);
const forbidden = (why: string) => new MatrixError(403, ErrCode.FORBIDDEN, why);
const roomNotFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Room not found');
const aliasNotFound = (alias: string) => new MatrixError(404, ErrCode.NOT_FOUND, `Room alias ${alias} not found`);

/** Moderators of the room's directory entry (Synapse's check_can_change_room_list). */
function mayEditListing(snapshot: RoomSnapshot, requester: Requester): boolean {
  if (requester.admin) return true;
  if (snapshot.membership(requester.userId) !== 'join') return false;
  return snapshot.powerLevels().canSend(requester.userId, 'm.room.canonical_alias', true);
}

export async function createAlias(db: Db, serverName: string, requester: Requester, alias: string, roomId: string): Promise<void> {
  const localpart = alias.slice(1, alias.indexOf(':'));
  if (/\s/.test(localpart)) throw invalid('Room alias localparts cannot contain whitespace');
  if (serverNameOf(alias) !== serverName) throw invalid('Room alias must be local to this server');
  if (checkRoomId(roomId) !== null) throw invalid(`Invalid room id: ${roomId}`);
  const snapshot = await loadSnapshot(db, roomId, { keys: [['m.room.member', requester.userId]] });
  if (!snapshot) throw roomNotFound();
  if (!requester.admin && snapshot.membership(requester.userId) !== 'join') throw forbidden('You must be in the room to create an alias for it');
  if (!(await insertAlias(db, alias, roomId, requester.userId))) throw new MatrixError(409, ErrCode.UNKNOWN, `Room alias ${alias} already exists`);
}

/** One of our aliases (another server's is asked with a federation query: src/services/federation/queries.ts). */
export async function lookupAlias(db: Db, serverName: string, alias: string): Promise<{ room_id: string; servers: string[] }> {
  const roomId = await resolveAlias(db, alias);
  if (!roomId) throw aliasNotFound(alias);
  const others = (await joinedServers(db, roomId)).filter((s) => s !== serverName).sort();
  return { room_id: roomId, servers: [serverName, ...others] };
}

/**
 * Deletes the alias and, as Synapse does, takes it out of the room's canonical alias event when
 * the deleter may send one (the deletion stands either way, as the spec recommends).
 */
export async function removeAlias(db: Db, requester: Requester, alias: string, submit: Submit): Promise<void> {
  const entry = await aliasEntry(db, alias);
  if (!entry) throw aliasNotFound(alias);
  const snapshot = await loadSnapshot(db, entry.roomId, { keys: [...powerSelection(requester.userId).keys!, ['m.room.canonical_alias', '']] });
  const allowed = entry.creator === requester.userId || requester.admin || (snapshot !== undefined && mayEditListing(snapshot, requester));
  if (!allowed) throw forbidden("You don't have permission to delete the alias");
  if (!(await deleteAliasOf(db, alias, entry.roomId))) throw aliasNotFound(alias);

  const canonical = snapshot?.content('m.room.canonical_alias');
  const content = canonical && withoutAlias(canonical, alias);
  if (!content) return;
  try {
    await submit(entry.roomId, { kind: 'event', sender: requester.userId, type: 'm.room.canonical_alias', stateKey: '', content });
  } catch (e) {
    if (!(e instanceof MatrixError)) throw e;
    console.info(`[directory] ${alias} deleted; ${entry.roomId}'s canonical alias event left as it was: ${e.message}`);
  }
}

/** The room's local aliases, for its members, anyone if it is world-readable, and server admins. */
export async function roomAliases(db: Db, requester: Requester, roomId: string): Promise<string[]> {
  const snapshot = await loadSnapshot(db, roomId, powerSelection(requester.userId));
  const readable =
    snapshot !== undefined &&
    (snapshot.membership(requester.userId) === 'join' || snapshot.content('m.room.history_visibility')?.history_visibility === 'world_readable');
  // An unknown room answers like a room one may not see: nothing tells them apart.
  if (!readable && !requester.admin) throw forbidden('You are not a member of the room');
  return aliasesOfRoom(db, roomId);
}

export async function directoryVisibility(db: Db, roomId: string): Promise<'public' | 'private'> {
  const published = await isPublished(db, roomId);
  if (published === undefined) throw roomNotFound();
  return published ? 'public' : 'private';
}

export async function setDirectoryVisibility(db: Db, requester: Requester, roomId: string, visibility: 'public' | 'private'): Promise<void> {
  const snapshot = await loadSnapshot(db, roomId, powerSelection(requester.userId));
  if (!snapshot) throw roomNotFound();
  if (!mayEditListing(snapshot, requester)) throw forbidden('You need the power to change the canonical alias to change the room directory entry');
  await setPublished(db, roomId, visibility === 'public');
}
