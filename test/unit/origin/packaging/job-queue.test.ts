import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { PackagingError } from '../../../../server/core/errors.ts';
import { createOriginMetrics } from '../../../../server/origin/origin-metrics.ts';
import { JobQueue, type Packager } from '../../../../server/origin/packaging/job-queue.ts';
import { JobStore } from '../../../../server/origin/packaging/job-store.ts';
import type { PackagedAsset, PackageOptions } from '../../../../server/origin/packaging/types.ts';
import { waitFor } from '../../../helpers/wait-for.ts';

const logger = pino({ level: 'silent' });

/** A packager under the test's control: each call waits until the test settles it. */
function controlledPackager(): { packager: Packager; calls: PackageOptions[]; active: () => number; finish(id: string, err?: Error): void } {
  const calls: PackageOptions[] = [];
  const pending = new Map<string, { resolve: (a: PackagedAsset) => void; reject: (e: Error) => void }>();
  return {
    calls,
    active: () => pending.size,
    packager: (opts) =>
      new Promise<PackagedAsset>((resolve, reject) => {
        calls.push(opts);
        opts.onProgress?.({ stage: 'encoding', percent: 37.5, etaSeconds: 3 });
        pending.set(opts.id, { resolve, reject });
        opts.signal?.addEventListener('abort', () => {
          pending.delete(opts.id);
          reject(new Error('aborted'));
        });
      }),
    finish(id, err) {
      const p = pending.get(id);
      pending.delete(id);
      if (err) p?.reject(err);
      else p?.resolve({ id, dir: `/x/${id}`, durationSeconds: 6, format: 'ts', renditions: [], elapsedMs: 1 });
    },
  };
}

/** The store writes job files (fsync), so state changes land after real I/O: poll, bounded. */
const POLL = { intervalMs: 5 };

describe('JobQueue', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgeline-jobq-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function setup(name: string, concurrency: number, ids: string[], jobTimeLimitMs = 600_000): Promise<{ store: JobStore; queue: JobQueue; ctl: ReturnType<typeof controlledPackager>; uploads: Record<string, string> }> {
    const root = join(dir, name);
    const store = new JobStore({ dir: join(root, 'jobs'), logger });
    await store.load();
    const ctl = controlledPackager();
    const queue = new JobQueue({ store, mediaDir: root, concurrency, ffmpeg: () => ({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' }), ladder: [], segmentSeconds: 4, jobTimeLimitMs, maxRenditions: 3, logger, metrics: createOriginMetrics({ processMetrics: false }), packager: ctl.packager });
    const uploads: Record<string, string> = {};
    for (const id of ids) {
      uploads[id] = join(root, `${id}.upload`);
      writeFileSync(uploads[id], 'x');
      await store.create({ id, source: { name: `${id}.mp4`, sizeBytes: 1 }, uploadPath: uploads[id] });
      queue.enqueue(id);
    }
    return { store, queue, ctl, uploads };
  }

  it('runs no more than `concurrency` jobs at once', async () => {
    const { store, queue, ctl } = await setup('conc', 2, ['a', 'b', 'c']);
    queue.start();
    await waitFor('two jobs packaging', () => ctl.active() === 2, POLL);
    assert.deepEqual(ctl.calls.map((c) => c.id).sort(), ['a', 'b']);
    assert.equal(store.get('c')?.status, 'queued');
    assert.deepEqual(queue.depth(), { waiting: 1, running: 2 });
    ctl.finish('a');
    await waitFor('the third job to start', () => ctl.calls.length === 3, POLL);
    assert.equal(ctl.active(), 2);
    ctl.finish('b');
    ctl.finish('c');
    await waitFor('job c ready', () => store.get('c')?.status === 'ready', POLL);
    await queue.close();
  });

  it('records progress, then ready with 100 %, and removes the upload', async () => {
    const { store, queue, ctl, uploads } = await setup('ready', 1, ['a']);
    queue.start();
    await waitFor('one job packaging', () => ctl.active() === 1, POLL);
    assert.equal(store.get('a')?.status, 'packaging');
    assert.equal(store.get('a')?.percent, 37);
    ctl.finish('a');
    await waitFor('job a ready', () => store.get('a')?.status === 'ready', POLL);
    assert.equal(store.get('a')?.percent, 100);
    assert.equal(store.get('a')?.durationSeconds, 6);
    assert.equal(existsSync(uploads['a'] ?? ''), false);
    await queue.close();
  });

  it('fails a job with the packager\'s code and message, naming the upload by its original name', async () => {
    const { store, queue, ctl, uploads } = await setup('fail', 1, ['a']);
    queue.start();
    await waitFor('one job packaging', () => ctl.active() === 1, POLL);
    ctl.finish('a', new PackagingError(`cannot package "${uploads['a']}": ffprobe: Invalid data found when processing input`, '', 'PACKAGING_NOT_MEDIA'));
    await waitFor('job a failed', () => store.get('a')?.status === 'failed', POLL);
    assert.deepEqual(store.get('a')?.error, { code: 'PACKAGING_NOT_MEDIA', message: 'cannot package "a.mp4": ffprobe: Invalid data found when processing input' });
    assert.equal(existsSync(uploads['a'] ?? ''), false);
    await queue.close();
  });

  it('on close, aborts running jobs and leaves them queued with their upload for the next start', async () => {
    const { store, queue, ctl, uploads } = await setup('close', 1, ['a', 'b']);
    queue.start();
    await waitFor('one job packaging', () => ctl.active() === 1, POLL);
    await queue.close();
    assert.equal(store.get('a')?.status, 'queued');
    assert.equal(store.get('b')?.status, 'queued');
    assert.equal(existsSync(uploads['a'] ?? ''), true);
    assert.equal(ctl.calls.length, 1, 'nothing new starts while closing');
  });

  it('fails a job that outlives its time limit with that rule, its packager aborted', async () => {
    const { store, queue, ctl, uploads } = await setup('limit', 1, ['a'], 50);
    queue.start();
    await waitFor('job a failed', () => store.get('a')?.status === 'failed' && store.get('a'), POLL);
    assert.equal(store.get('a')?.error?.code, 'PACKAGING_TIME_LIMIT');
    assert.match(store.get('a')?.error?.message ?? '', /took longer than the limit of 0\.1 s \(JOB_TIME_LIMIT\)/);
    assert.equal(ctl.calls[0]?.signal?.aborted, true, 'the packager (and so its ffmpeg) was told to stop');
    assert.equal(ctl.calls[0]?.maxRenditions, 3, 'the ladder cap reaches the packager');
    assert.equal(existsSync(uploads['a'] ?? ''), false);
    await queue.close();
  });
});
