// The packager's files: a private temporary folder per job, the atomic swap into place, and removal of leftovers.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../core/errors.ts';
import { killLeftoverProcess } from '../ffmpeg/leftover-process.ts';

/** Leftovers of a process that is gone are removed at once; anything older than this is removed regardless. */
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

// .tmp-{id}-{pid}-{random} while packaging, .old-{id}-{pid}-{random} while an asset is being replaced. Both start
// with a dot: the origin never serves dot-folders, and ids cannot start with one.
const LEFTOVER = /^\.(tmp|old)-(.+)-(\d+)-[0-9a-f]{8}$/;

/** In a job's temporary folder while its ffmpeg runs: crash recovery kills a leftover one before removing the folder. */
export const FFMPEG_PID_FILE = 'ffmpeg.pid';

/** Folders this process is working in right now; never cleaned, whatever their age. */
const active = new Set<string>();

export function hlsDirOf(mediaDir: string): string {
  return join(mediaDir, 'hls');
}

function scratchName(kind: 'tmp' | 'old', id: string): string {
  return `.${kind}-${id}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface ParsedLeftover {
  readonly kind: 'tmp' | 'old';
  readonly id: string;
  readonly pid: number;
}

export function parseLeftover(name: string): ParsedLeftover | undefined {
  const m = LEFTOVER.exec(name);
  if (!m || !m[2] || !m[3]) return undefined;
  return { kind: m[1] === 'old' ? 'old' : 'tmp', id: m[2], pid: Number(m[3]) };
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a leftover folder may be removed: not in use here, and its process is gone or it is older than a day. */
export function isStale(l: ParsedLeftover, ageMs: number, path: string, alive: (pid: number) => boolean = isAlive): boolean {
  if (active.has(path)) return false;
  if (ageMs > STALE_AFTER_MS) return true;
  // Our own pid but not active: a job of this process that died before it could clean up.
  return l.pid === process.pid || !alive(l.pid);
}

/**
 * Removes stale .tmp-* and .old-* folders under {mediaDir}/hls; returns the names removed. An ffmpeg still writing into
 * one (its packager was SIGKILLed) is killed first, so a re-run never races the old encode.
 */
export async function removeStaleLeftovers(hlsDir: string, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(hlsDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const parsed = parseLeftover(name);
    if (!parsed) continue;
    const path = join(hlsDir, name);
    try {
      const st = await stat(path);
      if (!isStale(parsed, now - st.mtimeMs, path)) continue;
      if (parsed.kind === 'tmp') await killLeftoverProcess(join(path, FFMPEG_PID_FILE), path);
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Raced with another cleaner or the owner: nothing to do.
    }
  }
  return removed;
}

/** A fresh private folder for one packaging job. */
export async function createScratch(hlsDir: string, id: string): Promise<string> {
  await mkdir(hlsDir, { recursive: true });
  const dir = join(hlsDir, scratchName('tmp', id));
  await mkdir(dir);
  active.add(dir);
  return dir;
}

export async function discardScratch(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } finally {
    active.delete(dir);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export function assetExistsError(id: string): AppError {
  return new AppError('ASSET_EXISTS', 409, `asset "${id}" already exists; pass overwrite (--force) to replace it`);
}

export async function assetExists(hlsDir: string, id: string): Promise<boolean> {
  return exists(join(hlsDir, id));
}

/**
 * Moves a finished scratch folder to {hlsDir}/{id} with rename(2), which is atomic on one file system: readers see
 * the old asset or the new one, never half of either. Replacing renames the old one aside first, then removes it.
 */
export async function publishScratch(scratch: string, hlsDir: string, id: string, overwrite: boolean): Promise<void> {
  const finalDir = join(hlsDir, id);
  let aside: string | undefined;
  if (await exists(finalDir)) {
    if (!overwrite) throw assetExistsError(id);
    aside = join(hlsDir, scratchName('old', id));
    active.add(aside);
    await rename(finalDir, aside);
  }
  try {
    await rename(scratch, finalDir);
  } catch (err) {
    // Put the previous asset back so a failed replace leaves what was there.
    if (aside) await rename(aside, finalDir).catch(() => undefined);
    if (aside) active.delete(aside);
    throw err;
  } finally {
    active.delete(scratch);
  }
  if (aside) {
    await rm(aside, { recursive: true, force: true }).catch(() => undefined);
    active.delete(aside);
  }
}
