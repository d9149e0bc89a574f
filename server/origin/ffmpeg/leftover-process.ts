// Crash recovery: an ffmpeg whose parent died with SIGKILL (no exit hook ran) is found by its pid file and killed.
import { readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const GONE_WAIT_MS = 5_000;
const GONE_POLL_MS = 20;

/** The argv of a running process, or undefined when there is none (or it is a zombie). Linux /proc. */
function argvOf(pid: number): string[] | undefined {
  try {
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Whether argv is an ffmpeg or ffprobe working on `folder`: the pid in a stale file may have been reused by any
 * process since, and only the one that writes into that job's folder is ours to kill.
 */
export function isLeftoverOf(argv: readonly string[], folder: string): boolean {
  const program = (argv[0] ?? '').split('/').pop() ?? '';
  return /^ff(mpeg|probe)/.test(program) && argv.some((a) => a.includes(folder));
}

export interface LeftoverResult {
  readonly pid: number | undefined;
  readonly killed: boolean;
}

/**
 * Reads `pidFile`; when it names a live ffmpeg working on `folder`, kills its process group (SIGKILL) and waits until
 * it is gone. Removes the pid file. Never throws for a missing or garbled file.
 */
export async function killLeftoverProcess(pidFile: string, folder: string): Promise<LeftoverResult> {
  let pid: number | undefined;
  try {
    const n = Number(readFileSync(pidFile, 'utf8').trim());
    pid = Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return { pid: undefined, killed: false };
  }
  let killed = false;
  const argv = pid !== undefined ? argvOf(pid) : undefined;
  if (pid !== undefined && argv && isLeftoverOf(argv, folder)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    killed = true;
    // Jobs run again only once the old process is gone, so two never write the same files.
    for (const deadline = Date.now() + GONE_WAIT_MS; argvOf(pid) && Date.now() < deadline; ) await sleep(GONE_POLL_MS);
  }
  rmSync(pidFile, { force: true });
  return { pid, killed };
}
