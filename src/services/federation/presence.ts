// Presence over federation (spec: server-server "Presence", the m.presence EDU). Out: a local
// user's presence goes to the servers of the people they share a room with. In: a remote user's
// presence is stored beside our users' (the presence table, at a misc-stream position) by the
// remote user's object, and the local users who share a room with them see it in /sync.
import { config, type Env } from '../../config';
import type { Db } from '../../db/client';
import { putPresence } from '../../db/queries/presence';
import { serversSharingRoomWith, sharesRoomWithLocalUser } from '../../db/queries/remote-devices';
import { roomMates } from '../../db/queries/sync';
import { userObject } from '../../http/auth';
import { serverNameOf } from '../../matrix/ids';
import { presenceContent, type PresenceState } from '../../matrix/presence';
import type { UserScope } from '../account/scope';
import { wakeUsers } from '../sync/wake';
import { sendToServers } from './outbound';

const STATES = new Set(['online', 'offline', 'unavailable']);
/** The same bound as PUT /presence's status_msg. */
const MAX_STATUS_CHARS = 1024;

export interface RemotePresence {
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
}

/** Sends a local user's new presence to the servers that share a room with them. */
export async function federatePresence(scope: UserScope, state: string, statusMsg: string | null, lastActiveTs: number): Promise<void> {
  const servers = await serversSharingRoomWith(scope.db, scope.userId);
  if (servers.length === 0) return;
  const push = [{ user_id: scope.userId, ...presenceContent(state, lastActiveTs, statusMsg, Date.now()) }];
  await sendToServers(scope.env, servers, [{ kind: 'edu', body: { edu_type: 'm.presence', content: { push } } }]);
}

/** m.presence (in the Worker): each update of a user of the origin whom our users share a room with. */
export async function onPresence(env: Env, db: Db, origin: string, content: Record<string, unknown>): Promise<void> {
  if (!Array.isArray(content.push)) return;
  const now = Date.now();
  for (const p of content.push as Record<string, unknown>[]) {
    if (typeof p !== 'object' || p === null) continue;
    const { user_id: userId, presence, last_active_ago: ago, status_msg: status } = p;
    if (typeof userId !== 'string' || serverNameOf(userId) !== origin || typeof presence !== 'string' || !STATES.has(presence)) continue;
    if (typeof ago !== 'number' || !Number.isSafeInteger(ago) || ago < 0) continue;
    if (status !== undefined && status !== null && (typeof status !== 'string' || status.length > MAX_STATUS_CHARS || status.includes('\u0000'))) continue;
    if (!(await sharesRoomWithLocalUser(db, userId))) continue;
    const update: RemotePresence = { state: presence as PresenceState, statusMsg: typeof status === 'string' ? status : null, lastActiveTs: now - ago };
    await userObject(env, userId).remotePresence(userId, update);
  }
}

/** In the remote user's object: stores the presence and wakes the local users who share a room. */
export async function applyRemotePresence(scope: UserScope, p: RemotePresence): Promise<void> {
  const pos = await putPresence(scope.db, { userId: scope.userId, state: p.state, statusMsg: p.statusMsg, lastActiveTs: p.lastActiveTs });
  const ours = config(scope.env).serverName;
  const mates = (await roomMates(scope.db, scope.userId)).filter((u) => serverNameOf(u) === ours);
  await wakeUsers(scope.env, mates, { m: pos });
}
