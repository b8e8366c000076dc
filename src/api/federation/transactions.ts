// PUT /_matrix/federation/v1/send/{txnId} (spec: server-server "Transactions"): up to 50 PDUs and
// 100 EDUs; a transaction already received from the same origin is answered with its old result,
// and two copies arriving at once are processed once (see services/federation/txn-claims.ts).
import { Hono } from 'hono';
import type { Env } from '../../config';
import { httpDb } from '../../db/client';
import { roomVersionIdOf } from '../../db/queries/federated-events';
import { roomObject } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { checkRoomId } from '../../matrix/ids';
import { DEFAULT_ROOM_VERSION, getRoomVersion, roomVersion } from '../../matrix/room-versions';
import { receiveEdus } from '../../services/federation/edus';
import { pduErrors } from '../../services/federation/event-checks';
import { claimTransaction, completeTransaction, releaseTransaction, type TxnResponse } from '../../services/federation/txn-claims';

export const transactions = new Hono<AppEnv>();

const MAX_PDUS = 50;
const MAX_EDUS = 100;

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
  const claim = await claimTransaction(db, origin, txnId);
  if (!claim.claimed) {
    if (claim.response) return c.json(claim.response);
    throw new MatrixError(503, ErrCode.UNKNOWN, 'This transaction is still being processed; retry later');
  }
  let response: TxnResponse;
  try {
    response = { pdus: await receivePdus(c.env, origin, body.pdus) };
    await receiveEdus(c.env, origin, edus);
  } catch (e) {
    // Not remembered: the sender's retry is processed afresh.
    await releaseTransaction(db, origin, txnId).catch(() => undefined);
    throw e;
  }
  await completeTransaction(db, origin, txnId, response);
  return c.json(response);
});

/** PDUs go to their rooms' objects, each room's in one call (in the order the origin sent them). */
async function receivePdus(env: Env, origin: string, pdus: unknown[]): Promise<Record<string, { error?: string }>> {
  const byRoom = new Map<string, unknown[]>();
  const results: Record<string, { error?: string }> = {};
  for (const pdu of pdus) {
    const roomId = (pdu as { room_id?: unknown })?.room_id;
    if (typeof roomId !== 'string' || checkRoomId(roomId) !== null) continue; // unparseable: dropped (spec)
    let list = byRoom.get(roomId);
    if (!list) byRoom.set(roomId, (list = []));
    list.push(pdu);
  }
  await Promise.all(
    [...byRoom].map(async ([roomId, list]) => {
      try {
        Object.assign(results, await roomObject(env, roomId).receive(roomId, origin, list));
      } catch (e) {
        // A room we are not in, or one whose processing failed: every PDU gets the error.
        const error = e instanceof MatrixError ? e.error : 'could not process';
        const { version, known } = await versionForIds(env, roomId);
        // A room we never saw: v1/v2 events name their id; later ones are keyed by the likeliest version.
        if (!known) for (const p of list) if (typeof (p as { event_id?: unknown })?.event_id === 'string') results[(p as { event_id: string }).event_id] = { error };
        Object.assign(results, await pduErrors(version, list, error));
      }
    }),
  );
  return results;
}

/**
 * The room version to compute the PDUs' event ids with (v3+ events carry none): the room's own
 * when we know the room. Otherwise the room id tells v12+ (no server part) apart; for older ids we
 * take v10, the default of most servers for such rooms (v4–v10 compute ids alike).
 */
async function versionForIds(env: Env, roomId: string) {
  const id = await roomVersionIdOf(httpDb(env), roomId).catch(() => undefined);
  const known = id ? getRoomVersion(id) : undefined;
  return { version: known ?? roomVersion(roomId.includes(':') ? '10' : DEFAULT_ROOM_VERSION), known: known !== undefined };
}
