// A redis-server of the suite's own on a free loopback port, without persistence, so a fault can SIGKILL it.
import { join } from 'node:path';
import { redisAnswers } from '../../server/cli/local-probes.ts';
import { startChild, type Child } from '../bench/processes.ts';
import { killNow } from './kill-now.ts';
import { mustHold } from './until.ts';

export class PrivateRedis {
  readonly url: string;
  private child: Child | undefined;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again, on the same port) with nothing in it: no RDB, no AOF. */
  async start(): Promise<void> {
    this.child = startChild({
      name: 'redis',
      command: 'redis-server',
      args: ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      logFile: join(this.dir, 'redis.log'),
    });
    const child = this.child;
    await mustHold(`redis-server on port ${this.port}`, async () => {
      if (child.exited) throw new Error(`redis-server exited while starting (is it installed? see ${child.logFile})`);
      return redisAnswers(this.url);
    }, 10_000);
  }

  /** SIGKILL: the data is gone, as after a crash of a Redis without persistence. */
  async kill(): Promise<void> {
    if (this.child) await killNow(this.child);
  }

  async stop(): Promise<void> {
    await this.child?.stop(2_000);
  }
}
