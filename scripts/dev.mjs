// `npm run dev`: a local homeserver at http://localhost:$PORT on an embedded Postgres.
// Environment: PORT (8787), SERVER_NAME (localhost:$PORT), DATA_DIR (.data), REGISTRATION (open),
// RATE_LIMITS (on; "off" for load tests), GUEST_ACCESS (off). Other arguments go to wrangler dev.
import { startLocalServer } from './lib/local-server.mjs';

const port = Number(process.env.PORT ?? 8787);
const passthrough = ['REGISTRATION', 'RATE_LIMITS', 'GUEST_ACCESS', 'PUBLIC_BASEURL', 'FEDERATION_RESOLVE'];
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
