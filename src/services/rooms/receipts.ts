// Receipts in a room (spec: "Receipts"), in the room's object: stored at a misc-stream position,
// then the local members' syncs are woken and, for a local user's receipt, the other servers told.
import { config } from '../../config';
import { getEvent } from '../../db/queries/rooms';
import { putReceipt } from '../../db/queries/receipts';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { receiptEdu } from '../federation/room-edus';
import { sendToServers } from '../federation/outbound';
import { wakeUsers } from '../sync/wake';
import { remoteServers, type FederatedContext } from './federated';

export async function storeReceipt(room: FederatedContext, userId: string, receiptType: string, eventId: string, threadId: string): Promise<void> {
  const { env, db, model, isLocal } = room;
  if (model.membership(userId) !== 'join') throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are not in this room');
  const event = await getEvent(db, eventId);
  if (!event || event.roomId !== model.roomId || event.streamPos === null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  const ts = Date.now();
  const pos = await putReceipt(db, { roomId: model.roomId, userId, receiptType, threadId, eventId, eventPos: event.streamPos, ts });
  if (pos === undefined) return;
  // Private receipts are for their owner's devices only.
  await wakeUsers(env, receiptType === 'm.read.private' ? [userId] : model.members('join').filter(isLocal), { m: pos });
  const edu = isLocal(userId) ? receiptEdu(model.roomId, userId, receiptType, eventId, threadId, ts) : undefined;
  if (edu) void sendToServers(env, remoteServers(model, config(env).serverName), [edu]);
}
