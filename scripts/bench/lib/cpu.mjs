// CPU time used by the server processes, so that a figure survives a noisy machine: req/s moves with
// whatever else runs on the box, CPU per request much less. Linux only (/proc); null elsewhere.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports

/** Direct children of this process, as a set of pids (empty without /proc). */
export function childPids() {
  const pids = new Set();
  try {
    for (const task of readdirSync('/proc/self/task')) {
      for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ')) if (pid) pids.add(Number(pid));
    }
  } catch {
    // no /proc
  }
  return pids;
}

/** User + system CPU milliseconds of `pid` (all its threads), or null. */
export function cpuMs(pid) {
  if (pid == null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may contain spaces
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return null;
  }
}
