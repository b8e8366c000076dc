// Keys suite: POST /keys/query and POST /keys/claim for 50 devices (25 users with 2 devices each)
// under 16 concurrent clients, each client another user. A claim takes one key of every device:
// the devices first get enough signed one-time keys for the whole run (BENCH_KEYS per device, default
// 6000), and a fallback key, so that the run measures one-time key claims and says if any fell back.
// Targets (issue 6): p99 under 50 ms for each route.
import { generateKeyPairSync, sign } from 'node:crypto';
import { CONNECTIONS, measure, perConnection } from './lib/load.mjs';
import { PASSWORD, registerUsers } from './lib/users.mjs';

const OWNERS = 25;
const DEVICES_PER_OWNER = 2;
const P99_TARGET_MS = 50;
const UPLOAD_BATCH = 2000;

function keysPerDevice() {
  const n = Number(process.env.BENCH_KEYS ?? 6000);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`BENCH_KEYS must be a positive integer; got "${process.env.BENCH_KEYS}"`);
  return n;
}

/** Canonical JSON for the objects signed here (strings, booleans, arrays and objects only). */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const unpadded = (buf) => buf.toString('base64').replace(/=+$/, '');

/** A device's ed25519 key, signing as `ed25519:<deviceId>` of its user. */
function deviceKey(userId, deviceId) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = unpadded(Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url'));
  const signed = (obj) => {
    const signature = unpadded(sign(null, Buffer.from(canonical(obj)), privateKey));
    return { ...obj, signatures: { [userId]: { [`ed25519:${deviceId}`]: signature } } };
  };
  return { pub, signed };
}

const randomKey = () => unpadded(Buffer.from(crypto.getRandomValues(new Uint8Array(32))));

async function api(baseUrl, token, method, path, body) {
  const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Device keys, `count` one-time keys and a fallback key for one logged-in device. */
async function publishKeys(baseUrl, device, count) {
  const key = deviceKey(device.userId, device.deviceId);
  const deviceKeys = key.signed({
    user_id: device.userId,
    device_id: device.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${device.deviceId}`]: randomKey(), [`ed25519:${device.deviceId}`]: key.pub },
  });
  const fallback = { 'signed_curve25519:FALLBACK': key.signed({ key: randomKey(), fallback: true }) };
  await api(baseUrl, device.accessToken, 'POST', '/keys/upload', { device_keys: deviceKeys, fallback_keys: fallback });
  for (let start = 0; start < count; start += UPLOAD_BATCH) {
    const otks = {};
    for (let i = start; i < Math.min(count, start + UPLOAD_BATCH); i++) otks[`signed_curve25519:K${i}`] = key.signed({ key: randomKey() });
    await api(baseUrl, device.accessToken, 'POST', '/keys/upload', { one_time_keys: otks });
  }
}

async function loginDevice(baseUrl, user) {
  const res = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: user.localpart }, password: PASSWORD }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`login ${user.localpart}: ${res.status} ${JSON.stringify(body)}`);
  return { ...user, deviceId: body.device_id, accessToken: body.access_token };
}

/** The owners' devices with published keys, and the requesters with the bodies they send. */
export async function prepare(baseUrl) {
  const owners = await registerUsers(baseUrl, 'keys-owner', OWNERS);
  const devices = [...owners];
  for (let d = 1; d < DEVICES_PER_OWNER; d++) devices.push(...(await Promise.all(owners.map((o) => loginDevice(baseUrl, o)))));
  const perDevice = keysPerDevice();
  for (let i = 0; i < devices.length; i += 5) await Promise.all(devices.slice(i, i + 5).map((d) => publishKeys(baseUrl, d, perDevice)));
  const requesters = await registerUsers(baseUrl, 'keys-client', CONNECTIONS);

  const queryBody = JSON.stringify({ device_keys: Object.fromEntries(owners.map((o) => [o.userId, []])) });
  const claimWanted = {};
  for (const d of devices) (claimWanted[d.userId] ??= {})[d.deviceId] = 'signed_curve25519';
  const claimBody = JSON.stringify({ one_time_keys: claimWanted });
  const asClient = (body) => perConnection(requesters, (u) => ({ headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' }, body }));
  return { devices, perDevice, queryClient: asClient(queryBody), claimClient: asClient(claimBody) };
}

export async function run({ server }) {
  const { baseUrl } = server;
  const client = `${baseUrl}/_matrix/client/v3`;
  const { devices, perDevice, queryClient, claimClient } = await prepare(baseUrl);

  const query = await measure(`POST /keys/query (${devices.length} devices)`, { url: `${client}/keys/query`, method: 'POST', pid: server.pid, setupClient: queryClient });
  const claim = await measure(`POST /keys/claim (${devices.length} devices)`, { url: `${client}/keys/claim`, method: 'POST', pid: server.pid, setupClient: claimClient });

  // Whether every claim got one-time keys: a device that ran out answered with its fallback key.
  const left = await Promise.all(devices.map(async (d) => (await api(baseUrl, d.accessToken, 'POST', '/keys/upload', {})).one_time_key_counts.signed_curve25519));
  const ranOut = left.filter((n) => n === 0).length;

  console.log('\n== keys: targets');
  for (const row of [query, claim]) {
    console.log(`   ${row.route}: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms (target p99 < ${P99_TARGET_MS} ms) ${row.p99 < P99_TARGET_MS ? 'met' : 'MISSED'}`);
  }
  console.log(`   one-time keys claimed per device: ${perDevice - Math.max(...left)} of ${perDevice}; ${ranOut ? `${ranOut} devices ran out and then gave their fallback key (raise BENCH_KEYS)` : 'none ran out'}`);
  return { rows: [query, claim], targets: [] };
}
