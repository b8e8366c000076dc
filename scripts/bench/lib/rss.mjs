// Resident memory of a server process, in MB (Linux /proc; null elsewhere).
import { readFileSync } from 'node:fs';

export function rssMb(pid) {
  if (pid == null) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}
