// `edgeline faults --quick --only redis-loss` end to end: a real stack from dist/, Redis SIGKILLed under viewers, and
// the report files (JSON, HTML, Markdown) with the fault's verdict.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN_PATH } from '../../../server/core/package-root.ts';
import type { FaultReport } from '../../../tools/faults/fault-report.ts';

function runFaults(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN_PATH, 'faults', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('edgeline faults', () => {
  const out = mkdtempSync(join(tmpdir(), 'edgeline-faults-test-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('--quick --only redis-loss: passes, a purge after the restart gives a MISS, and the report says so', { timeout: 180_000 }, async () => {
    const r = await runFaults(['--quick', '--only', 'redis-loss', '--out', out]);
    assert.equal(r.code, 0, `exit code\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /redis-loss\s+pass/);
    assert.match(r.stderr, /Redis SIGKILLed/, 'progress goes to stderr');
    const [runDir] = readdirSync(out);
    assert.ok(runDir, 'a folder for the run');
    const report = JSON.parse(readFileSync(join(out, runDir, 'report.json'), 'utf8')) as FaultReport;
    assert.equal(report.pass, true);
    assert.deepEqual(report.results.map((x) => x.name), ['redis-loss']);
    const fault = report.results[0];
    assert.ok(fault?.viewers);
    assert.equal(fault.viewers.failedRequests, 0);
    assert.ok(fault.viewers.requests > 0);
    assert.equal(fault.checks.find((c) => c.name.startsWith('next request on'))?.measured, '200 MISS');
    assert.ok(fault.timeline.some((p) => p.s < 0) && fault.timeline.some((p) => p.s > 0), 'the timeline spans the fault');
    assert.match(readFileSync(join(out, runDir, 'report.html'), 'utf8'), /redis-loss: Redis SIGKILLed and restarted empty/);
    assert.match(readFileSync(join(out, runDir, 'summary.md'), 'utf8'), /^\| fault \| result \|/);
    for (const role of ['redis', 'origin', 'edge-1', 'edge-2', 'router']) assert.ok(existsSync(join(out, runDir, 'logs', 'redis-loss', `${role}.log`)), `${role}.log`);
  });
});
