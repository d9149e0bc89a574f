// Packaging jobs as JSON files ({mediaDir}/jobs/{id}.json), written atomically, mirrored in memory, recovered at startup.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/log.ts';
import { JOB_STATES, type JobState } from '../origin-metrics.ts';
import { ASSET_ID } from './types.ts';

export interface JobError {
  readonly code: string;
  readonly message: string;
}

export interface JobRecord {
  readonly id: string;
  readonly status: JobState;
  /** 0..100 over the whole job. */
  readonly percent: number;
  readonly stage: string | undefined;
  /** What the client uploaded: its file name (as sent) and size. */
  readonly source: { readonly name: string; readonly sizeBytes: number };
  /** The upload on disk, kept until the job is ready or failed. */
  readonly uploadPath: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
  /** How many times packaging started (a restart re-queues a running job). */
  readonly attempts: number;
  readonly error: JobError | undefined;
  readonly durationSeconds: number | undefined;
  readonly renditions: readonly string[] | undefined;
  readonly packagingMs: number | undefined;
}

export type JobPatch = Partial<Omit<JobRecord, 'id' | 'createdAt' | 'updatedAt'>>;

export type RecoveryAction = 'keep' | 'requeue' | 'fail';

/**
 * What a job found on disk at startup becomes: queued or interrupted jobs run again when their upload is still
 * there; otherwise they fail with a reason. Nothing stays "packaging" without a packager behind it.
 */
export function recoveryAction(job: Pick<JobRecord, 'status'>, uploadExists: boolean): RecoveryAction {
  if (job.status !== 'queued' && job.status !== 'packaging') return 'keep';
  return uploadExists ? 'requeue' : 'fail';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Narrow a job file's JSON; undefined when it is not a job this code wrote. */
export function parseJobRecord(v: unknown): JobRecord | undefined {
  if (!isRecord(v)) return undefined;
  const id = str(v['id']);
  const status = str(v['status']);
  const createdAt = str(v['createdAt']);
  const uploadPath = str(v['uploadPath']);
  if (!id || !ASSET_ID.test(id) || !createdAt || uploadPath === undefined) return undefined;
  if (!(JOB_STATES as readonly string[]).includes(status ?? '')) return undefined;
  const source = isRecord(v['source']) ? v['source'] : {};
  const error = isRecord(v['error']) ? v['error'] : undefined;
  const renditions = Array.isArray(v['renditions']) ? v['renditions'].filter((r): r is string => typeof r === 'string') : undefined;
  return {
    id,
    status: status as JobState,
    percent: num(v['percent']) ?? 0,
    stage: str(v['stage']),
    source: { name: str(source['name']) ?? '', sizeBytes: num(source['sizeBytes']) ?? 0 },
    uploadPath,
    createdAt,
    updatedAt: str(v['updatedAt']) ?? createdAt,
    startedAt: str(v['startedAt']),
    finishedAt: str(v['finishedAt']),
    attempts: num(v['attempts']) ?? 0,
    error: error ? { code: str(error['code']) ?? 'UNKNOWN', message: str(error['message']) ?? '' } : undefined,
    durationSeconds: num(v['durationSeconds']),
    renditions,
    packagingMs: num(v['packagingMs']),
  };
}

export interface JobStoreOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export class JobStore {
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly jobs = new Map<string, JobRecord>();
  /** One write chain per job, so renames land in order and the file always holds the latest record. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(opts: JobStoreOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger;
    this.now = opts.now ?? (() => new Date());
  }

  /** Read every job file; unreadable ones are logged and skipped, temporary ones left by a crash removed. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      if (name.startsWith('.')) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const job = parseJobRecord(JSON.parse(await readFile(path, 'utf8')) as unknown);
        if (job && `${job.id}.json` === name) this.jobs.set(job.id, job);
        else this.logger.warn({ path }, 'ignoring a job file that is not a job record');
      } catch (err) {
        this.logger.warn({ path, err }, 'ignoring an unreadable job file');
      }
    }
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  list(): JobRecord[] {
    return [...this.jobs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  counts(): Record<JobState, number> {
    const out: Record<JobState, number> = { queued: 0, packaging: 0, ready: 0, failed: 0 };
    for (const job of this.jobs.values()) out[job.status] += 1;
    return out;
  }

  /**
   * Record a new job. The in-memory entry exists when this returns (so a second upload with the same id sees it
   * at once); the promise resolves when the file is on disk.
   */
  create(init: Pick<JobRecord, 'id' | 'source' | 'uploadPath'>): Promise<JobRecord> {
    const at = this.now().toISOString();
    const job: JobRecord = {
      ...init,
      status: 'queued',
      percent: 0,
      stage: undefined,
      createdAt: at,
      updatedAt: at,
      startedAt: undefined,
      finishedAt: undefined,
      attempts: 0,
      error: undefined,
      durationSeconds: undefined,
      renditions: undefined,
      packagingMs: undefined,
    };
    this.jobs.set(job.id, job);
    return this.persist(job.id).then(() => job);
  }

  /** Apply a patch; `persist: false` keeps it in memory only (frequent progress updates). */
  async update(id: string, patch: JobPatch, opts: { persist?: boolean } = {}): Promise<JobRecord> {
    const current = this.jobs.get(id);
    if (!current) throw new Error(`job "${id}" does not exist`);
    const next: JobRecord = { ...current, ...patch, updatedAt: this.now().toISOString() };
    this.jobs.set(id, next);
    if (opts.persist ?? true) await this.persist(id);
    return next;
  }

  /** Wait for every pending write (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  private persist(id: string): Promise<void> {
    const prev = this.writes.get(id) ?? Promise.resolve();
    const write = prev.then(() => this.writeFile(id));
    const settled: Promise<void> = write
      .then(() => undefined, () => undefined)
      .then(() => {
        if (this.writes.get(id) === settled) this.writes.delete(id);
      });
    this.writes.set(id, settled);
    return write;
  }

  /** Write to a dot-file, fsync, rename: a crash leaves the old record or the new one, never half of one. */
  private async writeFile(id: string): Promise<void> {
    const job = this.jobs.get(id);
    if (!job) return;
    const final = join(this.dir, `${id}.json`);
    const temp = join(this.dir, `.${id}.${randomBytes(4).toString('hex')}.tmp`);
    const fh = await open(temp, 'w', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(job, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(temp, final);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
