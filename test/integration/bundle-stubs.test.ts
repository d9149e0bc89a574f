// The product bundle (scripts/build-server.mjs) leaves out what a library loads for a feature Edgeline never turns on
// (@opentelemetry/api for prom-client's exemplars, thread-stream for pino's transports), and the built edge still
// logs and counts its own CPU: the stubs in their place are never reached.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCliRole, type CliRole } from '../helpers/cli-role.ts';
import { startCountingOrigin, type CountingOrigin } from '../helpers/counting-origin.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait-for.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const CHUNKS = join(ROOT, 'dist', 'bundle', 'chunks');

/** Strings only the left-out packages' own code holds (its global registry key; an error message of its worker). */
const MARKERS = { '@opentelemetry/api': 'opentelemetry.js.api', 'thread-stream': 'this should not happen: ' } as const;

describe('the product bundle without the libraries Edgeline never uses', { timeout: 60_000 }, () => {
  let origin: CountingOrigin;
  let edge: CliRole | undefined;
  let port = 0;
  let stdout = '';

  before(async () => {
    origin = await startCountingOrigin();
    origin.set('/vod/b/r/seg-1.ts', { body: 'segment', headers: { 'content-type': 'video/mp2t', 'cache-control': 'max-age=60' } });
    port = await freePort();
    // Info level: the access log line of every request goes through pino to stdout.
    edge = await startCliRole(['edge', '--port', String(port), '--origin', origin.url, '--redis', 'none', '--workers', '1', '--id', 'bundle-edge', '--no-player'], `http://127.0.0.1:${port}/healthz`, {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    edge.child.stdout?.setEncoding('utf8');
    edge.child.stdout?.on('data', (c: string) => (stdout += c));
  });

  after(async () => {
    await edge?.stop();
    await origin?.stop();
  });

  it('holds none of their code', () => {
    const chunks = readdirSync(CHUNKS).filter((f) => f.endsWith('.js'));
    assert.ok(chunks.length > 0, `no chunks in ${CHUNKS}: run npm run build`);
    for (const [name, marker] of Object.entries(MARKERS)) {
      const holding = chunks.filter((f) => readFileSync(join(CHUNKS, f), 'utf8').includes(marker));
      assert.deepEqual(holding, [], `${name} is bundled in ${holding.join(', ')}`);
    }
  });

  it('counts its CPU in /metrics (prom-client without exemplars) and writes its access log (pino without transports)', async () => {
    const seg = await fetch(`http://127.0.0.1:${port}/vod/b/r/seg-1.ts`);
    assert.equal(await seg.text(), 'segment');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^process_cpu_seconds_total(\{[^}]*\})? \d+(\.\d+)?(e-?\d+)?$/m);
    await waitFor('the access log line of the segment request', () => stdout.includes('"key":"/vod/b/r/seg-1.ts"'), { timeoutMs: 5_000, intervalMs: 50 });
  });
});
