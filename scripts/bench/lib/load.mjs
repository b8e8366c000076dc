// Load generation: autocannon at a fixed concurrency for BENCH_DURATION seconds (default 10) per route,
// after a short warm-up so that first requests (isolate start, Durable Object creation, database
// connections) are not counted.
import autocannon from 'autocannon';
import { cpuMs } from './cpu.mjs';

export const CONNECTIONS = 16;
export const WARMUP_SECONDS = 1;

export function durationSeconds() {
  const s = Number(process.env.BENCH_DURATION ?? 10);
  if (!(s > 0)) throw new Error(`BENCH_DURATION must be a positive number of seconds; got "${process.env.BENCH_DURATION}"`);
  return s;
}

/**
 * Gives each connection its own request shape, round-robin over `items` (e.g. one user per
 * connection), as autocannon's `setupClient`.
 */
export function perConnection(items, shape) {
  let next = 0;
  return (client) => {
    const { headers, body } = shape(items[next++ % items.length]);
    client.setHeadersAndBody(headers, body);
  };
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

/**
 * Runs one route under load and returns its row. autocannon's own percentiles are whole
 * milliseconds, too coarse next to a hello-world, so latencies are collected here.
 * `pid`: the server process whose CPU time is charged to these requests.
 */
export async function measure(route, { pid, ...request }) {
  const opts = { connections: CONNECTIONS, ...request };
  await autocannon({ ...opts, duration: WARMUP_SECONDS });

  const latencies = [];
  const cpuBefore = cpuMs(pid);
  const run = autocannon({ ...opts, duration: durationSeconds() });
  run.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await run;
  const cpuAfter = cpuMs(pid);

  latencies.sort((a, b) => a - b);
  const statuses = Object.entries(result.statusCodeStats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${code}×${count}`);
  return {
    route,
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuMsPerRequest: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    statuses,
  };
}
