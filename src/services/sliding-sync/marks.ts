// How far a connection has sent each room's receipts and room account data (both on the misc
// stream). Rooms in an extension's scope follow the connection's mark for the stream, so a
// response that moves the stream writes one mark, plus one row per room that enters or leaves the
// scope; not one row per room in scope.
import { FOLLOWS, type Marks, type RoomState } from './connection';

export type MarkedStream = keyof Marks;

/** The misc position up to which the room's `stream` was sent (undefined: never). */
export function sentUpTo(room: RoomState | undefined, stream: MarkedStream, marks: Readonly<Marks>): number | undefined {
  const m = room?.[stream];
  return m === FOLLOWS ? marks[stream] : m;
}

/**
 * Records that the rooms in scope are sent up to `to`. Rooms outside it that followed the mark
 * keep, as their own, the position they were sent to before the mark moves on without them.
 */
export function advance(
  stream: MarkedStream,
  scope: ReadonlySet<string>,
  to: number,
  sent: ReadonlyMap<string, RoomState>,
  marks: Readonly<Marks>,
  next: Marks,
  stateOf: (roomId: string) => RoomState,
): void {
  const prev = marks[stream];
  if (prev !== undefined && prev !== to) {
    for (const [roomId, s] of sent) if (s[stream] === FOLLOWS && !scope.has(roomId)) stateOf(roomId)[stream] = prev;
  }
  for (const roomId of scope) if (sent.get(roomId)?.[stream] !== FOLLOWS) stateOf(roomId)[stream] = FOLLOWS;
  next[stream] = to;
}
