// The first checks on an event received from another server (spec: "Checks performed on receipt
// of a PDU", steps 1–3): a valid PDU for the room version, signed by every server that must sign
// it, and with a matching content hash — otherwise it is redacted before anything else.
import type { Env } from '../../config';
import type { Db } from '../../db/client';
import { MatrixError } from '../../matrix/errors';
import { validatePdu } from '../../matrix/event-format';
import { checkContentHash, computeEventId } from '../../matrix/hashes';
import { requiredSignatureServers, verifyEventSignature } from '../../matrix/event-signing';
import { redactEvent } from '../../matrix/redaction';
import type { RoomVersion } from '../../matrix/room-versions';
import type { Pdu, RoomEvent } from '../../matrix/types';
import { verifyKeyOf } from './keys';

export type CheckedPdu = { ok: true; event: RoomEvent; hashMismatch: boolean } | { ok: false; eventId?: string; error: string };

/** Every required server signed the (redacted) event with a key valid when it was sent (v5+). */
export async function hasValidSignatures(env: Env, db: Db, version: RoomVersion, pdu: Pdu): Promise<string | undefined> {
  const atTs = version.enforceKeyValidity ? pdu.origin_server_ts : 0;
  for (const server of requiredSignatureServers(pdu, version)) {
    const sigs = pdu.signatures?.[server];
    if (!sigs) return `missing the signature of ${server}`;
    let verified = false;
    for (const keyId of Object.keys(sigs)) {
      if (!keyId.startsWith('ed25519:')) continue;
      const key = await verifyKeyOf(env, db, server, keyId, atTs || Date.now());
      if (key && (await verifyEventSignature(pdu, version, server, keyId, key))) {
        verified = true;
        break;
      }
    }
    if (!verified) return `no valid signature of ${server}`;
  }
  return undefined;
}

export async function checkReceivedPdu(env: Env, db: Db, version: RoomVersion, raw: unknown): Promise<CheckedPdu> {
  let pdu: Pdu;
  try {
    pdu = validatePdu(raw, version);
  } catch (e) {
    return { ok: false, error: e instanceof MatrixError ? e.error : String(e) };
  }
  // Servers may add unsigned data; it is not ours to keep from another server.
  const { unsigned: _unsigned, ...bare } = pdu as Pdu & { unsigned?: unknown };
  pdu = bare as Pdu;
  const eventId = await computeEventId(pdu, version);
  const signatureProblem = await hasValidSignatures(env, db, version, pdu);
  if (signatureProblem) return { ok: false, eventId, error: signatureProblem };
  if (!(await checkContentHash(pdu))) {
    // Signatures cover the redacted form, so the event is genuine but its content was altered.
    return { ok: true, event: { eventId, pdu: redactEvent(pdu, version) as unknown as Pdu }, hashMismatch: true };
  }
  return { ok: true, event: { eventId, pdu }, hashMismatch: false };
}

/** The same error for each PDU that parses, keyed by its event id (refused without further checks). */
export async function pduErrors(version: RoomVersion, raw: unknown[], error: string): Promise<Record<string, { error: string }>> {
  const out: Record<string, { error: string }> = {};
  for (const r of raw) {
    try {
      out[await computeEventId(validatePdu(r, version), version)] = { error };
    } catch {
      // Unparseable: dropped, as in a transaction (no id to answer for).
    }
  }
  return out;
}
