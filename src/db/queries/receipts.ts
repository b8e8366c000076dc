// Read receipts (spec: "Receipts").
import { and, eq, sql } from 'drizzle-orm';
import type { PooledDb } from '../client';
import { receipts } from '../schema';
import { takeMiscPositions } from './streams';

export interface ReceiptInput {
  roomId: string;
  userId: string;
  receiptType: string;
  threadId: string;
  eventId: string;
  eventPos: number;
  ts: number;
}

/**
 * Stores a receipt unless the user already has one of this kind on a later event (receipts only
 * move forward, as in Synapse). Returns the misc position, or undefined when nothing changed.
 */
export async function putReceipt(db: PooledDb, r: ReceiptInput): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ eventPos: receipts.eventPos })
      .from(receipts)
      .where(and(eq(receipts.roomId, r.roomId), eq(receipts.userId, r.userId), eq(receipts.receiptType, r.receiptType), eq(receipts.threadId, r.threadId)));
    if (existing && existing.eventPos >= r.eventPos) return undefined;
    const [pos] = await takeMiscPositions(tx);
    await tx
      .insert(receipts)
      .values({ ...r, streamPos: pos })
      .onConflictDoUpdate({
        target: [receipts.roomId, receipts.userId, receipts.receiptType, receipts.threadId],
        set: { eventId: r.eventId, eventPos: r.eventPos, ts: r.ts, streamPos: sql`excluded.stream_pos` },
      });
    return pos;
  });
}
