// Receiving a transaction's PDUs for one room (spec: server-server "Transactions"), inside the
// room's object: every PDU is checked (signatures, hashes, format) outside the write queue, then
// accepted one by one inside it; runs of new events that change no state and pass every check on
// the current state are written together (group commit), anything else goes alone.
import { getEvents } from '../../db/queries/rooms';
import type { RoomEvent } from '../../matrix/types';
import { checkReceivedPdu } from '../federation/event-checks';
import { acceptsAsPlain, persistPlainRun, receiveEvent, type FederatedContext } from './federated';

/** What the room's object lends to the receipt of one transaction. */
export interface RoomReceiver {
  federated: FederatedContext;
  /** Runs `fn` in the room's write queue. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Local users hear of committed events (a long poll returns early, as for local sends). */
  announce(events: RoomEvent[], positions: number[]): void;
  /** What is in memory may differ from what was committed: reload it on next use. */
  forgetModel(): void;
}

/** Per-PDU results of a transaction for this room, keyed by event id (spec: `pdus` of the answer). */
export async function receivePdus(room: RoomReceiver, origin: string, pdus: unknown[]): Promise<Record<string, { error?: string }>> {
  const { federated } = room;
  const { model } = federated;
  const checked = await Promise.all(pdus.map((p) => checkReceivedPdu(federated.env, federated.db, model.version, p)));
  return room.exclusive(async () => {
    const results: Record<string, { error?: string }> = {};
    const good = checked.filter((c): c is Extract<typeof c, { ok: true }> => c.ok).sort((a, b) => a.event.pdu.depth - b.event.pdu.depth);
    for (const c of checked) if (!c.ok && c.eventId) results[c.eventId] = { error: c.error };
    // One lookup for the whole transaction tells which events are new (the common case).
    const ids = good.map((c) => c.event.eventId);
    const stored = await getEvents(federated.db, ids);
    const absent = new Set(ids.filter((id) => !stored.has(id)));
    const ctx: FederatedContext = { ...federated, absent };
    const seen = new Set<string>();
    // New events that change no state and pass every check on the current state are written
    // together (group commit); anything else first flushes them, then goes alone.
    let run: RoomEvent[] = [];
    let runBase = model.extremities;
    const flush = async () => {
      if (run.length === 0) return;
      const events = run;
      run = [];
      try {
        const positions = await persistPlainRun(ctx, events);
        room.announce(events, positions);
      } catch (e) {
        // Each is tried again alone, so that one event that cannot be stored fails by itself.
        console.error(`[federation] storing ${events.length} events from ${origin} together failed:`, e);
        model.extremities = runBase;
        for (const event of events) await one(event);
      }
    };
    const one = async (event: RoomEvent) => {
      try {
        const outcome = await receiveEvent(ctx, origin, event);
        results[event.eventId] = outcome.error ? { error: outcome.error } : {};
        // Local users hear of each commit as it happens (a long poll returns early, as for local sends).
        if (outcome.accepted && outcome.streamPos !== undefined) room.announce([event], [outcome.streamPos]);
      } catch (e) {
        console.error(`[federation] event ${event.eventId} from ${origin} failed:`, e);
        results[event.eventId] = { error: 'could not process the event' };
        room.forgetModel(); // reload from what was committed
        absent.clear(); // what was stored is no longer certain
      }
    };
    for (const c of good) {
      if (c.event.pdu.room_id !== model.roomId) {
        results[c.event.eventId] = { error: 'event is for another room' };
        continue;
      }
      // A PDU repeated in one transaction is processed once.
      if (seen.has(c.event.eventId)) continue;
      seen.add(c.event.eventId);
      if (acceptsAsPlain(ctx, c.event)) {
        if (run.length === 0) runBase = model.extremities;
        run.push(c.event);
        results[c.event.eventId] = {};
        model.extremities = [c.event]; // the next event of the run builds on it
        continue;
      }
      await flush();
      await one(c.event);
    }
    await flush();
    return results;
  });
}
