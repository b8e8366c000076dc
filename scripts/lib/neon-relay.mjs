// Local stand-in for the two network faces of Neon, so that the Worker runs the production driver
// (@neondatabase/serverless) unchanged against the embedded Postgres:
//   - WebSocket to TCP: ws://HOST:PORT/v2?address=<pghost>:<pgport>, binary frames carry the raw
//     Postgres wire protocol (Neon's wsproxy convention; used by Pool/Client in Durable Objects);
//   - Neon's HTTP query endpoint: POST /sql with the Neon-* headers (used by neon() one-off queries).
// Only loopback targets are accepted. Development and tests only; production talks to Neon itself.
import http from 'node:http';
import net from 'node:net';
import pg from 'pg';
import { WebSocketServer } from 'ws';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const TEXT = { getTypeParser: () => (value) => value }; // the driver parses by dataTypeID itself

function splitAddress(address) {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

function fieldsOf(result) {
  return result.fields.map((f) => ({
    name: f.name, tableID: f.tableID, columnID: f.columnID, dataTypeID: f.dataTypeID,
    dataTypeSize: f.dataTypeSize, dataTypeModifier: f.dataTypeModifier, format: 'text',
  }));
}

function asNeonResult(result) {
  return { command: result.command, rowCount: result.rowCount, rows: result.rows, fields: fieldsOf(result), rowAsArray: true };
}

const ERROR_FIELDS = ['severity', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where',
  'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine'];

function transactionMode(headers) {
  const parts = [];
  const iso = headers['neon-batch-isolation-level'];
  if (iso) parts.push(`isolation level ${String(iso).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`);
  if (headers['neon-batch-read-only'] === 'true') parts.push('read only');
  if (headers['neon-batch-deferrable'] === 'true') parts.push('deferrable');
  return parts.join(' ');
}

export function startNeonRelay({ host = '127.0.0.1', port = 0, log = false } = {}) {
  const pools = new Map();
  const poolFor = (connectionString) => {
    const url = new URL(connectionString);
    if (!LOOPBACK.has(url.hostname)) throw Object.assign(new Error('only loopback databases are reachable'), { status: 403 });
    url.searchParams.delete('sslmode');
    const key = url.toString();
    let pool = pools.get(key);
    if (!pool) {
      pool = new pg.Pool({ connectionString: key, max: 16 });
      pool.on('error', () => {}); // an idle client dropped: the pool discards it
      pools.set(key, pool);
    }
    return pool;
  };
  const run = (client, { query, params }) => client.query({ text: query, values: params ?? [], rowMode: 'array', types: TEXT });

  async function answerSql(req, res) {
    let body = '';
    for await (const chunk of req) body += chunk;
    let client;
    try {
      const payload = JSON.parse(body);
      client = await poolFor(String(req.headers['neon-connection-string'] ?? '')).connect();
      let out;
      if (Array.isArray(payload.queries)) {
        await client.query(`begin ${transactionMode(req.headers)}`);
        try {
          const results = [];
          for (const q of payload.queries) results.push(asNeonResult(await run(client, q)));
          await client.query('commit');
          out = { results };
        } catch (e) {
          await client.query('rollback').catch(() => {});
          throw e;
        }
      } else {
        out = asNeonResult(await run(client, payload));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    } catch (e) {
      const err = { message: e.message };
      for (const f of ERROR_FIELDS) if (e[f] !== undefined) err[f] = e[f];
      res.writeHead(e.status ?? 400, { 'content-type': 'application/json' }).end(JSON.stringify(err));
    } finally {
      client?.release();
    }
  }

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/sql')) return void answerSql(req, res);
    res.writeHead(404).end();
  });
  // Node closes idle keep-alive connections after 5 s; workerd may reuse one just then ("Network
  // connection lost"), e.g. for the query that follows a long media upload. Outlive its idle pool.
  server.keepAliveTimeout = 120_000;
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  const sockets = new Set();
  wss.on('connection', (ws, req) => {
    const target = splitAddress(new URL(req.url ?? '/', 'http://relay').searchParams.get('address') ?? '');
    if (!LOOPBACK.has(target.host) || !target.port) return ws.close(1008, 'only loopback databases are reachable');
    const tcp = net.connect({ host: target.host, port: target.port });
    sockets.add(tcp);
    tcp.setNoDelay(true);
    const early = [];
    let connected = false;
    tcp.on('connect', () => {
      connected = true;
      for (const b of early) tcp.write(b);
      early.length = 0;
    });
    ws.on('message', (data) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (connected) tcp.write(bytes);
      else early.push(bytes);
    });
    tcp.on('data', (d) => ws.readyState === ws.OPEN && ws.send(d, { binary: true }));
    tcp.on('error', (e) => log && console.error('[relay] tcp', e.message));
    tcp.on('close', () => {
      sockets.delete(tcp);
      if (ws.readyState === ws.OPEN) ws.close(1000, 'database closed the connection');
    });
    ws.on('close', () => tcp.end());
    ws.on('error', () => tcp.destroy());
  });

  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, host, () => {
      const bound = server.address().port;
      resolve({
        port: bound,
        address: `${host}:${bound}`,
        close: () => new Promise((done) => {
          // server.close() alone would wait forever on half-closed WebSockets
          for (const c of wss.clients) c.terminate();
          for (const s of sockets) s.destroy();
          wss.close();
          server.closeAllConnections();
          server.close(() => void Promise.all([...pools.values()].map((p) => p.end())).then(() => done()));
        }),
      });
    });
  });
}
