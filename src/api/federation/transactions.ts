// PUT /_matrix/federation/v1/send/{txnId} (spec: server-server "Transactions"): up to 50 PDUs and
// 100 EDUs; a transaction already received from the same origin is answered with its old result.
import { Hono } from 'hono';
import { and, eq, lt } from 'drizzle-orm';
import { httpDb } from '../../db/client';
import { receivedTransactions } from '../../db/schema';
import { roomObject } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { checkRoomId } from '../../matrix/ids';
import { receiveEdus } from '../../services/federation/edus';

export const transactions = new Hono<AppEnv>();

const MAX_PDUS = 50;
const MAX_EDUS = 100;
/** Remembered results of received transactions, for retries. */
const TXN_MEMORY_MS = 24 * 3600_000;

transactions.put('/send/:txnId', requireServerAuth, async (c) => {
  const origin = c.get('origin');
  const txnId = c.req.param('txnId');
  const body = c.get('federationBody') as { origin?: unknown; pdus?: unknown; edus?: unknown } | undefined;
  if (typeof body !== 'object' || body === null || !Array.isArray(body.pdus)) throw new MatrixError(400, ErrCode.BAD_JSON, 'A transaction needs a pdus array');
  if (body.origin !== undefined && body.origin !== origin) throw new MatrixError(400, ErrCode.BAD_JSON, 'The transaction origin is not the authenticated server');
  const edus = body.edus === undefined ? [] : body.edus;
  if (!Array.isArray(edus)) throw new MatrixError(400, ErrCode.BAD_JSON, 'edus must be an array');
  if (body.pdus.length > MAX_PDUS || edus.length > MAX_EDUS) {
    throw new MatrixError(400, ErrCode.BAD_JSON, `A transaction carries at most ${MAX_PDUS} PDUs and ${MAX_EDUS} EDUs`);
  }
  const db = httpDb(c.env);
  const [seen] = await db.select().from(receivedTransactions).where(and(eq(receivedTransactions.origin, origin), eq(receivedTransactions.txnId, txnId)));
  if (seen) return c.json(seen.response);

  // PDUs go to their rooms' objects, each room's in one call (in the order the origin sent them).
  const byRoom = new Map<string, unknown[]>();
  const results: Record<string, { error?: string }> = {};
  for (const pdu of body.pdus) {
    const roomId = (pdu as { room_id?: unknown })?.room_id;
    if (typeof roomId !== 'string' || checkRoomId(roomId) !== null) continue; // unparseable: dropped (spec)
    let list = byRoom.get(roomId);
    if (!list) byRoom.set(roomId, (list = []));
    list.push(pdu);
  }
  await Promise.all(
    [...byRoom].map(async ([roomId, pdus]) => {
      try {
        Object.assign(results, await roomObject(c.env, roomId).receive(roomId, origin, pdus));
      } catch (e) {
        // A room we are not in, or one whose ACL bans the origin: every PDU gets the error.
        const error = e instanceof MatrixError ? e.error : 'could not process';
        for (const p of pdus) {
          const id = (p as { event_id?: unknown }).event_id;
          if (typeof id === 'string') results[id] = { error };
        }
      }
    }),
  );
  await receiveEdus(c.env, origin, edus);
  const response = { pdus: results };
  await db.delete(receivedTransactions).where(lt(receivedTransactions.receivedTs, Date.now() - TXN_MEMORY_MS));
  await db.insert(receivedTransactions).values({ origin, txnId, response, receivedTs: Date.now() }).onConflictDoNothing();
  return c.json(response);
});
