// The root logger's batched writer loses no line when a process ends: by itself, through process.exit(), or by a
// crash. Real child processes writing to a pipe, as a role's log does under `edgeline up` or a supervisor.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const logModule = fileURLToPath(new URL('../../server/core/log.ts', import.meta.url));

/** Runs `ending` after logging `n` lines (1,000 per event-loop turn) in a child; its stdout's JSON lines and exit code. */
async function linesOf(n: number, ending: string): Promise<{ readonly msgs: number[]; readonly code: number | null }> {
  const script = `
    import { rootLogger } from ${JSON.stringify(logModule)};
    let i = 0;
    const more = () => {
      for (const stop = Math.min(i + 1000, ${n}); i < stop; i++) rootLogger.info({ i }, 'line');
      if (i < ${n}) setImmediate(more);
      else { ${ending} }
    };
    more();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, LOG_LEVEL: 'info', NODE_TEST_CONTEXT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const msgs: number[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const j = JSON.parse(line) as { i?: number; msg?: string };
    if (j.msg === 'line' && typeof j.i === 'number') msgs.push(j.i);
  }
  if (msgs.length !== n) process.stderr.write(err);
  return { msgs, code };
}

const inOrder = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('a process that ends by itself writes every line, in order', async () => {
  const r = await linesOf(5_003, '');
  assert.equal(r.code, 0);
  assert.deepEqual(r.msgs, inOrder(5_003));
});

test('process.exit() right after logging writes every line, in order', async () => {
  const r = await linesOf(20_017, 'process.exit(3);');
  assert.equal(r.code, 3);
  assert.deepEqual(r.msgs, inOrder(20_017));
});

test('a crash right after logging writes every line, in order', async () => {
  const r = await linesOf(3_001, "throw new Error('boom');");
  assert.equal(r.code, 1);
  assert.deepEqual(r.msgs, inOrder(3_001));
});
