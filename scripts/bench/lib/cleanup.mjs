// Cleaning up after an interrupted run, for the benchmarks and the e2e setup. On SIGINT/SIGTERM,
// Miniflare's handler (benchmarks) and vitest (e2e) exit the process at once: no asynchronous stop
// runs then, only `exit` hooks do, and they must be synchronous.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Removes `<prefix>-<pid>` directories in `parent` whose process is gone (runs that were interrupted). */
export function removeStaleDirs(parent, prefix) {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    const owner = new RegExp(`^${prefix}-(\\d+)$`).exec(name);
    if (owner && !alive(Number(owner[1]))) rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}

/**
 * When this process exits, interrupts each of its children whose command line names `dir` (Postgres
 * runs with -D <dir>/..., wrangler dev with --persist-to <dir>/...), even one still starting, whose
 * handle the caller does not have yet. Returns the function that cancels this.
 */
export function stopChildrenAtExit(dir) {
  const hook = () => {
    const ps = spawnSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
    for (const line of (ps.stdout ?? '').split('\n')) {
      const [, pid, ppid, args] = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line) ?? [];
      if (Number(ppid) !== process.pid || !args.includes(dir)) continue;
      try {
        process.kill(Number(pid), 'SIGINT'); // as Ctrl-C would: Postgres shuts down fast, wrangler stops workerd
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', hook);
  return () => process.off('exit', hook);
}
