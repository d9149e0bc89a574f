// SIGKILL a child of the suite and wait until it is gone: a crash, not a shutdown (no SIGTERM first).
import type { Child } from '../bench/processes.ts';
import { mustHold } from './until.ts';

export async function killNow(child: Child): Promise<void> {
  if (child.exited) return;
  process.kill(child.pid, 'SIGKILL');
  await mustHold(`${child.name} (pid ${child.pid}) to exit after SIGKILL`, () => child.exited, 10_000);
  await child.stop(); // forgets it in the bench's list of running children
}
