// Accounts suite: the cheapest Matrix route (/versions, no auth, no database), an authenticated
// request (whoami: token → user and device through the user's Durable Object), and password login
// (PBKDF2, then a new device and token written to Postgres; each request creates one, by design).
// Targets (issue 2): /versions >= 70% of hello-world, whoami >= 50% of /versions.
import { CONNECTIONS, measure, perConnection } from './lib/load.mjs';
import { PASSWORD, registerUsers } from './lib/users.mjs';

export async function run({ server, baseline }) {
  const client = `${server.baseUrl}/_matrix/client`;
  // One user per connection, so that requests spread over user objects as real traffic would.
  const users = await registerUsers(server.baseUrl, 'accounts', CONNECTIONS);

  const versions = await measure('GET /versions', { url: `${client}/versions`, pid: server.pid });
  const whoami = await measure('GET /v3/account/whoami', {
    url: `${client}/v3/account/whoami`,
    pid: server.pid,
    setupClient: perConnection(users, (u) => ({ headers: { authorization: `Bearer ${u.accessToken}` } })),
  });
  const login = await measure('POST /v3/login', {
    url: `${client}/v3/login`,
    method: 'POST',
    pid: server.pid,
    setupClient: perConnection(users, (u) => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: u.localpart }, password: PASSWORD }),
    })),
  });

  return {
    rows: [versions, whoami, login],
    targets: [
      { row: versions, baseline, min: 0.7 },
      { row: whoami, baseline: versions, min: 0.5 },
    ],
  };
}
