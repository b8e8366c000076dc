// `npm run dev`: a local homeserver at http://localhost:$PORT on an embedded Postgres.
// Environment: PORT (8787), SERVER_NAME (localhost:$PORT), DATA_DIR (.data), REGISTRATION (open here),
// and any setting listed below. Other arguments go to wrangler dev.
import { startLocalServer } from './lib/local-server.mjs';

const port = Number(process.env.PORT ?? 8787);
// Every setting of src/config.ts that may be given in the environment (see README.md, "Configuration").
const passthrough = [
  'REGISTRATION', 'GUEST_ACCESS', 'PUBLIC_BASEURL', 'WELL_KNOWN_SERVER', 'FEDERATION_RESOLVE', 'OLD_VERIFY_KEYS',
  'RATE_LIMITS', 'RATE_LIMIT_LOGIN_ADDRESS', 'RATE_LIMIT_LOGIN_ACCOUNT', 'RATE_LIMIT_LOGIN_FAILURES', 'RATE_LIMIT_REGISTRATION',
  'RATE_LIMIT_MESSAGES', 'RATE_LIMIT_JOINS', 'RATE_LIMIT_INVITES', 'RATE_LIMIT_MEDIA_UPLOAD',
  'USER_DIRECTORY_SEARCH_ALL', 'FORGET_ROOMS_ON_LEAVE', 'MUTUAL_ROOMS_BATCH_SIZE',
  'TURN_URIS', 'TURN_SHARED_SECRET', 'TURN_TTL', 'TURN_ALLOW_GUESTS',
  'ACCESS_TOKEN_LIFETIME_MS', 'MAX_REQUEST_BYTES', 'PASSWORD_HASH_ITERATIONS',
  'MEDIA_MAX_UPLOAD_BYTES', 'MEDIA_USER_QUOTA_BYTES', 'URL_PREVIEWS', 'LEGACY_MEDIA',
];
const vars = { REGISTRATION: 'open' };
for (const name of passthrough) if (process.env[name] !== undefined) vars[name] = process.env[name];

const server = await startLocalServer({
  port,
  serverName: process.env.SERVER_NAME || `localhost:${port}`,
  dataDir: process.env.DATA_DIR || '.data',
  vars,
  wranglerArgs: process.argv.slice(2),
});
console.log(`[myelin] ${server.serverName} is serving at http://localhost:${port} (registration: ${vars.REGISTRATION})`);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
server.exited.then((code) => stop(code ?? 0));
