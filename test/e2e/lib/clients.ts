// Real matrix-js-sdk clients against the running homeserver of the e2e project.
import { createClient, type MatrixClient } from 'matrix-js-sdk';
import { inject } from 'vitest';

export const baseUrl = inject('homeserverUrl');
export const serverName = inject('serverName');

// The SDK logs every request at debug level; a test run only wants its own output.
export const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quiet };

let n = 0;
/** Registers a fresh user through the SDK (UIA with m.login.dummy) and returns a logged-in client. */
export async function newClient(prefix: string): Promise<MatrixClient> {
  const localpart = `${prefix}-${Date.now().toString(36)}-${n++}`;
  const anonymous = createClient({ baseUrl, logger: quiet });
  const password = 'e2e password';
  const session = await anonymous.registerRequest({ username: localpart, password }).then(
    () => undefined,
    (e: { data?: { session?: string } }) => e.data?.session,
  );
  const reg = await anonymous.register(localpart, password, session ?? null, { type: 'm.login.dummy' });
  return createClient({ baseUrl, logger: quiet, accessToken: reg.access_token, userId: reg.user_id, deviceId: reg.device_id });
}

/** Waits until `check` returns a value (polling the client's local state), or fails after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | null | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
