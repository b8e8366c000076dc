// The device's one-time key counts and unused fallback key types, which every sync response
// carries (v1.17), kept in the user's object so that a sync with nothing new reads no database.
// They change when the device uploads keys (through this object) and when someone claims them
// (the claimer tells this object, src/services/sync/wake.ts, if the database says this object read
// the counts lately: src/db/queries/key-management.ts). An entry is trusted for a bounded time only.

export interface KeyCounts {
  otk: Record<string, number>;
  fallback: string[];
}

/** How long counts read from the database are trusted when no change was announced. */
export const KEY_COUNTS_MAX_AGE_MS = 60_000;

export class KeyCountCache {
  #entries = new Map<string, { counts: KeyCounts; at: number }>();
  /** Bumped by every change, so a read that overlapped a change does not store what it read. */
  #generation = 0;

  async get(deviceId: string, load: () => Promise<KeyCounts>, now = Date.now()): Promise<KeyCounts> {
    const hit = this.#entries.get(deviceId);
    if (hit && now - hit.at < KEY_COUNTS_MAX_AGE_MS) return hit.counts;
    const generation = this.#generation;
    const counts = await load();
    if (generation === this.#generation) this.#entries.set(deviceId, { counts, at: now });
    return counts;
  }

  /** The keys of these devices (all devices when omitted) changed. */
  forget(deviceIds?: Iterable<string>): void {
    this.#generation++;
    if (deviceIds === undefined) this.#entries.clear();
    else for (const d of deviceIds) this.#entries.delete(d);
  }
}
