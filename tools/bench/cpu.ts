// CPU time of a server under test: utime + stime of the process and every descendant, read from /proc (Linux).
import { readFileSync } from 'node:fs';
import { processTree } from './measure.ts';
import { runCommand } from './processes.ts';

/**
 * utime + stime (clock ticks) from the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and
 * may hold spaces or parentheses, so fields are counted after the last ")"; utime and stime are fields 14 and 15.
 */
export function parseStatCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  const rest = stat.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in /proc/<pid>/stat');
  return utime + stime;
}

/** Summed CPU ticks of `pid` and all its descendants now; processes that end between reads count 0. */
export function treeCpuTicks(pid: number): number {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      sum += parseStatCpuTicks(readFileSync(`/proc/${p}/stat`, 'utf8'));
    } catch {
      // gone between the listing and the read
    }
  }
  return sum;
}

/** Clock ticks per second (`getconf CLK_TCK`, 100 on nearly every Linux). */
export async function clockTicksPerSecond(): Promise<number> {
  const { code, output } = await runCommand('getconf', ['CLK_TCK'], 5_000);
  const n = Number(output.trim());
  return code === 0 && Number.isInteger(n) && n > 0 ? n : 100;
}

/** Server CPU µs per request over one run: ticks before and after, the requests the tool completed. */
export function cpuUsPerRequest(ticksBefore: number, ticksAfter: number, ticksPerS: number, requests: number): number | null {
  if (requests <= 0 || ticksAfter < ticksBefore) return null;
  return ((ticksAfter - ticksBefore) / ticksPerS) * 1e6 / requests;
}
