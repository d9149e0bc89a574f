// Processes as Linux's /proc shows them: is one still running, which ones match, which are a process's descendants.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The command line, arguments joined by spaces. */
  readonly cmdline: string;
}

/** True while `pid` runs; a zombie (killed, not yet reaped) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    // Field 3 of /proc/PID/stat is the state; Z is a killed process not yet reaped.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every running process (zombies left out). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(entry), ppid: Number(fields[1]), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Running processes whose command line satisfies `match`. */
export function processesWhere(match: (cmdline: string) => boolean): number[] {
  return listProcesses().filter((p) => match(p.cmdline)).map((p) => p.pid);
}

/** Every running descendant of `pid` (children, their children, …). */
export function descendantsOf(pid: number): ProcInfo[] {
  const all = listProcesses();
  const found: ProcInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}
