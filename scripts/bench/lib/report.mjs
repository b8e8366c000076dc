// Printing: the conditions of the run, one table per suite, and the targets each suite checks.
import { cpus, loadavg } from 'node:os';
import { CONNECTIONS, WARMUP_SECONDS, durationSeconds } from './load.mjs';

export function printConditions(when) {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`[bench] ${when}: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cpus, load average ${load}`);
}

export function printSettings() {
  console.log(`[bench] ${CONNECTIONS} connections, ${durationSeconds()} s per route (BENCH_DURATION), after a ${WARMUP_SECONDS} s warm-up;`);
  console.log('[bench] cpu ms/req counts the workerd process (Worker and Durable Objects), not Postgres nor the relay');
}

const COLUMNS = [
  ['route', 32, (r) => r.route],
  ['req/s', 9, (r) => r.rps.toFixed(0)],
  ['p50 ms', 8, (r) => r.p50.toFixed(2)],
  ['p99 ms', 8, (r) => r.p99.toFixed(2)],
  ['cpu ms/req', 11, (r) => (r.cpuMsPerRequest === null ? '-' : r.cpuMsPerRequest.toFixed(3))],
  ['errors', 7, (r) => String(r.errors)],
  ['non-2xx', 8, (r) => (r.non2xx ? `${r.non2xx} (${r.statuses.join(' ')})` : '0')],
];

function line(cells) {
  return cells.map((c, i) => (i === 0 ? c.padEnd(COLUMNS[i][1]) : c.padStart(COLUMNS[i][1]))).join(' ');
}

export function printTable(title, rows) {
  console.log(`\n== ${title}`);
  console.log(line(COLUMNS.map(([name]) => name)));
  for (const r of rows) console.log(line(COLUMNS.map(([, , cell]) => cell(r))));
}

const percent = (x) => `${(x * 100).toFixed(0)}%`;

/**
 * `targets`: { row, baseline, min }: `row` must reach `min` of the baseline's req/s. The CPU ratio
 * (baseline's CPU per request over the row's) is printed beside it: it moves much less than req/s
 * when other work shares the machine.
 */
/** `floor`: the row of the least a route through a Durable Object costs, for scale (no target). */
export function printTargets(targets, floor) {
  for (const { row, baseline, min, maxP99 } of targets) {
    const ratio = row.rps / baseline.rps;
    const cpu = row.cpuMsPerRequest && baseline.cpuMsPerRequest ? `, by cpu/req ${percent(baseline.cpuMsPerRequest / row.cpuMsPerRequest)}` : '';
    console.log(`   ${row.route} vs ${baseline.route}: ${percent(ratio)} of req/s (target >= ${percent(min)}) ${ratio >= min ? 'met' : 'MISSED'}${cpu}`);
    if (floor) console.log(`   (${floor.route}: ${percent(floor.rps / baseline.rps)} of ${baseline.route}; ${row.route}: ${percent(row.rps / floor.rps)} of it)`);
    if (maxP99 !== undefined) console.log(`   ${row.route}: p99 ${row.p99.toFixed(1)} ms (target < ${maxP99} ms) ${row.p99 < maxP99 ? 'met' : 'MISSED'}`);
  }
}
