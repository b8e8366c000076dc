// Checks on a new m.room.canonical_alias event (spec: PUT /rooms/{roomId}/state: M_INVALID_PARAM
// for aliases of invalid syntax, M_BAD_ALIAS for aliases that do not point to the room). As in
// Synapse, only aliases the event adds are checked: existing ones may have drifted meanwhile.
import { config, type Env } from '../../config';
import { httpDb, type Db } from '../../db/client';
import { resolveAlias } from '../../db/queries/aliases';
import { currentState } from '../../db/queries/room-state';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { checkRoomAlias, serverNameOf } from '../../matrix/ids';
import type { JsonObject } from '../../matrix/types';
import { remoteAlias } from '../federation/queries';

const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);

function checkSyntax(alias: unknown, where: string): string {
  if (typeof alias !== 'string') throw invalid(`${where} must be a string`);
  const reason = checkRoomAlias(alias);
  if (reason !== null) throw invalid(`${where} is not a valid room alias: ${reason}`);
  return alias;
}

/** Where an alias points: ours from the directory, another server's by asking it (undefined if it cannot tell). */
async function target(env: Env, db: Db, alias: string): Promise<string | undefined> {
  if (serverNameOf(alias) === config(env).serverName) return resolveAlias(db, alias);
  try {
    return (await remoteAlias(env, alias)).room_id;
  } catch (e) {
    if (e instanceof MatrixError) return undefined;
    throw e;
  }
}

/** Throws unless every alias the content adds (to `alias` or `alt_aliases`) points to the room. */
export async function checkCanonicalAlias(env: Env, roomId: string, stateKey: string, content: JsonObject): Promise<void> {
  const db = httpDb(env);
  const alias = content.alias === undefined || content.alias === null || content.alias === '' ? undefined : checkSyntax(content.alias, 'alias');
  const altAliases = content.alt_aliases;
  if (altAliases !== undefined && !Array.isArray(altAliases)) throw invalid('alt_aliases must be a list');
  const alts = Array.isArray(altAliases) ? altAliases.map((a) => checkSyntax(a, 'alt_aliases entry')) : [];
  if (alias === undefined && alts.length === 0) return;

  const [previous] = await currentState(db, roomId, { keys: [['m.room.canonical_alias', stateKey]] });
  const before = previous?.pdu.content ?? {};
  const beforeAlts = new Set(Array.isArray(before.alt_aliases) ? before.alt_aliases : []);
  const added = new Set(alts.filter((a) => !beforeAlts.has(a)));
  if (alias !== undefined && alias !== before.alias) added.add(alias);

  const targets = await Promise.all([...added].map(async (a) => [a, await target(env, db, a)] as const));
  const bad = targets.find(([, target]) => target !== roomId);
  if (bad) throw new MatrixError(400, ErrCode.BAD_ALIAS, `The alias ${bad[0]} does not point to this room`);
}
