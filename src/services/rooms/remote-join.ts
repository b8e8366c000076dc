// Joining a room that lives on other servers (spec: server-server "Joining Rooms", the joining
// server's side): the state and auth chain from send_join are checked, stored, and become the
// room's first state on this server, with our join as its first timeline event.
import type { Env } from '../../config';
import type { PooledDb } from '../../db/client';
import { persistFederatedEvent } from '../../db/queries/federated-events';
import { getEvents } from '../../db/queries/rooms';
import { rooms } from '../../db/schema';
import { authorizeByState, authResultToError, authStateOf } from '../../matrix/auth-rules';
import { ErrCode, MatrixError } from '../../matrix/errors';
import type { RoomVersion } from '../../matrix/room-versions';
import { stateKey } from '../../matrix/state-map';
import type { RoomEvent } from '../../matrix/types';
import { checkReceivedPdu } from '../federation/event-checks';
import { storeAuthChain, type FederatedContext } from './federated';
import { RoomModel } from './model';

export interface SendJoinResult {
  state: unknown[];
  auth_chain: unknown[];
}

export async function adoptJoinedRoom(
  env: Env,
  db: PooledDb,
  isLocal: (userId: string) => boolean,
  roomId: string,
  version: RoomVersion,
  join: RoomEvent,
  result: SendJoinResult,
): Promise<RoomModel> {
  const empty = new RoomModel(roomId, version, new Map(), [], null, 0);
  const ctx: FederatedContext = { env, db, model: empty, isLocal };
  const checked: RoomEvent[] = [];
  const stateIds = new Set<string>();
  for (const raw of [...result.auth_chain, ...result.state]) {
    const c = await checkReceivedPdu(env, db, version, raw);
    if (!c.ok || c.event.pdu.room_id !== roomId && c.event.pdu.type !== 'm.room.create') continue;
    checked.push(c.event);
  }
  for (const raw of result.state) {
    const c = await checkReceivedPdu(env, db, version, raw);
    if (c.ok) stateIds.add(c.event.eventId);
  }
  const unique = [...new Map(checked.map((e) => [e.eventId, e])).values()];
  await storeAuthChain(ctx, unique);

  // The state the resident server says the room has, minus what failed its own auth.
  const stored = await getEvents(db, [...stateIds]);
  const state = new Map<string, RoomEvent>();
  for (const e of stored.values()) {
    if (e.rejected || typeof e.pdu.state_key !== 'string') continue;
    state.set(stateKey(e.pdu.type, e.pdu.state_key), { eventId: e.eventId, pdu: e.pdu });
  }
  const create = state.get(stateKey('m.room.create', ''));
  if (!create) throw new MatrixError(502, ErrCode.UNKNOWN, 'The resident server sent a state without a create event');
  const denied = authResultToError(authorizeByState(version, join, authStateOf(state.values())));
  if (denied) throw new MatrixError(403, ErrCode.FORBIDDEN, `Our join is not allowed by the room's state: ${denied.error}`);

  await db
    .insert(rooms)
    .values({ roomId, version: version.id, creator: create.pdu.sender, createdTs: create.pdu.origin_server_ts, published: false })
    .onConflictDoNothing();
  const before = new Map([...state].map(([k, e]) => [k, e.eventId]));
  const after = new Map(before);
  after.set(stateKey('m.room.member', join.pdu.state_key!), join.eventId);
  const memberChanges = [...after]
    .filter(([k]) => k.startsWith(`${'m.room.member'.length}:m.room.member`))
    .map(([k, id]) => {
      const target = k.slice(`${'m.room.member'.length}:m.room.member`.length);
      const pdu = id === join.eventId ? join.pdu : state.get(k)!.pdu;
      return { userId: target, membership: String(pdu.content.membership), eventId: id, sender: pdu.sender, local: isLocal(target) };
    });
  const persisted = await persistFederatedEvent(db, {
    roomId,
    event: join,
    stateBefore: before,
    current: { before: new Map(), after, afterIsEventState: true },
    extremities: [join.eventId],
    memberChanges,
  });
  state.set(stateKey('m.room.member', join.pdu.state_key!), join);
  return new RoomModel(roomId, version, state, [join], persisted.current?.id ?? persisted.stateGroup, persisted.current?.chainLength ?? 0);
}
