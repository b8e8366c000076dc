// Typing notifications of one room (spec: "Typing Notifications"): who is typing until when.
// Ephemeral by design: kept in the room's object memory only.

/** The longest a client may claim to be typing for one request. */
export const MAX_TYPING_TIMEOUT_MS = 120_000;

export class TypingState {
  #until = new Map<string, number>();

  /** Sets or clears a user's typing; returns whether the list of typists changed. */
  set(userId: string, typing: boolean, timeoutMs: number, now = Date.now()): boolean {
    const was = this.#until.has(userId);
    if (typing) this.#until.set(userId, now + Math.min(timeoutMs, MAX_TYPING_TIMEOUT_MS));
    else this.#until.delete(userId);
    return was !== typing;
  }

  /** Drops expired entries; returns whether any expired. */
  expire(now = Date.now()): boolean {
    let changed = false;
    for (const [u, t] of this.#until) {
      if (t <= now) {
        this.#until.delete(u);
        changed = true;
      }
    }
    return changed;
  }

  users(): string[] {
    return [...this.#until.keys()].sort();
  }

  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const t of this.#until.values()) next = next === undefined ? t : Math.min(next, t);
    return next;
  }
}
