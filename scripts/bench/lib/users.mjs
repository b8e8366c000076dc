// Test accounts for the suites, registered over the Client-Server API as a client would.
export const PASSWORD = 'bench password, not a secret';

async function post(baseUrl, path, body) {
  const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Registers `localpart` with m.login.dummy user-interactive auth; returns its first session. */
export async function registerUser(baseUrl, localpart) {
  const challenge = await post(baseUrl, '/register', { username: localpart, password: PASSWORD });
  if (challenge.status !== 401) throw new Error(`register ${localpart}: expected a 401 challenge, got ${challenge.status} ${JSON.stringify(challenge.body)}`);
  const auth = { type: 'm.login.dummy', session: challenge.body.session };
  const done = await post(baseUrl, '/register', { username: localpart, password: PASSWORD, auth });
  if (done.status !== 200) throw new Error(`register ${localpart}: ${done.status} ${JSON.stringify(done.body)}`);
  return { localpart, userId: done.body.user_id, deviceId: done.body.device_id, accessToken: done.body.access_token };
}

/** `count` users named `<prefix>-<n>`. */
export function registerUsers(baseUrl, prefix, count) {
  return Promise.all(Array.from({ length: count }, (_, i) => registerUser(baseUrl, `${prefix}-${i}`)));
}
