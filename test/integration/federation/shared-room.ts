// A public room of a local user that a user of a fake server joined: what tests of events received
// from another server start from.
import { registerUser, type TestUser } from '../helpers/client';
import { createRoom, stateMap } from '../helpers/rooms';
import { fakeServer, type FakeServer } from './fake-server';

export interface SharedRoom {
  alice: TestUser;
  roomId: string;
  remote: FakeServer;
  bob: string;
  /** Events a new event of bob's builds on and is authorised by. */
  last: { id: string; depth: number };
  auth: string[];
}

export async function sharedRoom(version = '10'): Promise<SharedRoom> {
  const remote = await fakeServer();
  const alice = await registerUser();
  const roomId = await createRoom(alice, { preset: 'public_chat', room_version: version });
  const bob = remote.user('bob');
  const join = await remote.joinRoom(roomId, bob);
  const state = await stateMap(alice, roomId);
  const auth = [state.get('m.room.create|')!.event_id, state.get('m.room.power_levels|')!.event_id, join.eventId];
  return { alice, roomId, remote, bob, last: { id: join.eventId, depth: join.event.depth as number }, auth };
}
