// One live channel: runs ffmpeg in real time, hands the segments it finishes to the publisher, restarts it when it dies or stalls.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../core/errors.ts';
import { killLeftoverProcess } from '../ffmpeg/leftover-process.ts';
import type { FfmpegPaths } from '../ffmpeg/paths.ts';
import { spawnTool, type ToolRun } from '../ffmpeg/spawn-ffmpeg.ts';
import type { Logger } from '../../core/log.ts';
import type { SegmentFormat } from '../packaging/ffmpeg-args.ts';
import { liveFfmpegArgs, liveInitFileName, segmentFileName, sequenceOfSegmentName, type LiveOutput } from './ffmpeg-args.ts';
import { readPartialSegments } from './partial-segment.ts';
import { probeSource } from './probe.ts';
import { LivePublisher, LiveRunSegments } from './publisher.ts';
import { SegmentListFollower } from './segment-list.ts';
import type { LiveChannelStatus, LiveRendition } from './types.ts';
import { measureLiveVariants } from './variants.ts';

export interface LiveChannelOptions {
  readonly name: string;
  readonly source: string;
  /** {mediaDir}/live/{name}: master.m3u8, {rendition}/index.m3u8 and segments; ffmpeg's own lists go to .ffmpeg/. */
  readonly dir: string;
  readonly ffmpeg: FfmpegPaths;
  readonly renditions: readonly LiveRendition[];
  readonly segmentSeconds: number;
  readonly windowSegments: number;
  readonly frameRate: number;
  readonly audioKbps: number;
  readonly restartBackoffMs: number;
  readonly restartBackoffMaxMs: number;
  readonly stallTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly segmentFormat: SegmentFormat;
  /** In every segment name; unique per origin start so a restarted origin never reuses a name an edge has cached. */
  readonly segmentTag: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onRestart?: () => void;
}

/** One ffmpeg process and what it has written so far. */
interface Run {
  readonly child: ToolRun;
  readonly followers: ReadonlyMap<string, SegmentListFollower>;
  readonly segments: LiveRunSegments;
  lastProgressMs: number;
  stderrTail: string;
  hasEnded: boolean;
  readonly exited: Promise<void>;
  markExited(): void;
}

const STDERR_TAIL_BYTES = 4096;
const TERM_GRACE_MS = 3_000;

/**
 * How long a channel waits before it starts ffmpeg again. A run that had published segments is restarted at once:
 * its viewers are living off their buffer (a few segments), and a second's wait was often what made them stall.
 * Runs that die before publishing anything (a bad source, a missing encoder) back off: `backoffMs`, then doubling,
 * up to `maxMs`, so a channel that cannot run does not spin.
 */
export function restartDelayMs(failedRuns: number, backoffMs: number, maxMs: number): number {
  return failedRuns <= 0 ? 0 : Math.min(maxMs, backoffMs * 2 ** (failedRuns - 1));
}

export class LiveChannel {
  private state: LiveChannelStatus['state'] = 'starting';
  private restarts = 0;
  private hasAudio = true;
  private run: Run | undefined;
  private runCount = 0;
  private failedRuns = 0;
  private isClosing = false;
  private fontFile: string | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly publisher: LivePublisher;
  /** Every step that touches the window or the files runs here, one at a time. */
  private work: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly o: LiveChannelOptions) {
    this.log = o.logger.child({ channel: o.name });
    this.publisher = new LivePublisher({
      dir: o.dir,
      renditions: o.renditions,
      segmentSeconds: o.segmentSeconds,
      windowSegments: o.windowSegments,
      measureVariants: (firstSegments) =>
        measureLiveVariants({
          dir: o.dir,
          renditions: o.renditions,
          firstSegments,
          hasAudio: this.hasAudio,
          audioKbps: o.audioKbps,
          frameRate: o.frameRate,
          ffmpeg: o.ffmpeg,
          logger: this.log,
        }),
      logger: this.log,
      now: o.now,
    });
  }

  get name(): string {
    return this.o.name;
  }

  get targetDurationSeconds(): number {
    return this.publisher.targetDurationSeconds;
  }

  status(): LiveChannelStatus {
    return {
      name: this.o.name,
      state: this.state,
      mediaSequence: this.publisher.mediaSequence,
      restarts: this.restarts,
      targetDurationSeconds: this.publisher.targetDurationSeconds,
    };
  }

  /** The pid of the running ffmpeg, if any (operators and tests). */
  get ffmpegPid(): number | undefined {
    return this.run && !this.run.hasEnded ? this.run.child.pid : undefined;
  }

  private get pidFile(): string {
    return join(this.o.dir, '.ffmpeg', 'ffmpeg.pid');
  }

  /** `fontFile`: for the sample's burned-in clock (found once for all channels). */
  async start(fontFile: string | undefined): Promise<void> {
    this.fontFile = fontFile;
    if (this.o.source !== 'sample') {
      let probed: { hasVideo: boolean; hasAudio: boolean };
      try {
        probed = await probeSource(this.o.ffmpeg, this.o.source);
      } catch (err) {
        throw new AppError('LIVE_SOURCE_INVALID', 500, `live channel "${this.o.name}": source "${this.o.source}" is not a readable media file: ${(err as Error).message}`, { cause: err });
      }
      if (!probed.hasVideo) {
        throw new AppError('LIVE_SOURCE_INVALID', 500, `live channel "${this.o.name}": source "${this.o.source}" must have a video stream`);
      }
      this.hasAudio = probed.hasAudio;
    }
    // An ffmpeg left by an origin that was SIGKILLed would write into the folder this run is about to use.
    const leftover = await killLeftoverProcess(this.pidFile, this.o.dir);
    if (leftover.killed) this.log.warn({ ffmpegPid: leftover.pid }, 'killed a live ffmpeg left running by a previous origin');
    // A previous run's playlists would advertise segments this run never wrote.
    await rm(this.o.dir, { recursive: true, force: true });
    await mkdir(join(this.o.dir, '.ffmpeg'), { recursive: true });
    for (const r of this.o.renditions) await mkdir(join(this.o.dir, r.name), { recursive: true });
    this.spawnRun();
    this.scheduleTick();
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL) and every timer; files stay until the next start. */
  async close(): Promise<void> {
    this.isClosing = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.restartTimer);
    const run = this.run;
    if (run && !run.hasEnded) {
      run.child.kill('SIGTERM');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), TERM_GRACE_MS);
      await run.exited;
      clearTimeout(timer);
    }
    await this.work;
    this.state = 'stopped';
  }

  /** Last resort when the process exits without close(): no ffmpeg may outlive the origin. */
  killNow(): void {
    if (this.run && !this.run.hasEnded) this.run.child.kill('SIGKILL');
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.work = this.work.then(task).catch((err: unknown) => this.log.error({ err }, 'live channel step failed'));
    return this.work;
  }

  private spawnRun(): void {
    const runNo = ++this.runCount;
    const outputs: LiveOutput[] = this.o.renditions.map((r) => ({
      rendition: r,
      dir: join(this.o.dir, r.name),
      // A fresh list per run: offsets start at zero and a dead run's half-written line is never read again.
      segmentListPath: join(this.o.dir, '.ffmpeg', `${r.name}-${runNo}.csv`),
    }));
    // CMAF: each run writes its own init segment, listed (EXT-X-MAP) from its first segment on.
    const initFile = this.o.segmentFormat === 'cmaf' ? liveInitFileName(this.o.segmentTag, runNo) : undefined;
    const args = liveFfmpegArgs({
      source: this.o.source,
      hasAudio: this.hasAudio,
      outputs,
      segmentSeconds: this.o.segmentSeconds,
      frameRate: this.o.frameRate,
      audioKbps: this.o.audioKbps,
      // Numbering continues, so names never repeat; unpublished leftovers of a dead run are simply overwritten.
      startNumber: this.publisher.nextSequence,
      segmentTag: this.o.segmentTag,
      fontFile: this.fontFile,
      label: this.o.name,
      format: this.o.segmentFormat,
      initFile,
    });
    let markExited = (): void => {};
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    // Its own process group, a pid file for crash recovery, killed with the origin (spawn-ffmpeg.ts).
    const child = spawnTool(this.o.ffmpeg, this.o.ffmpeg.ffmpeg, args, {
      pidFile: this.pidFile,
      onStderr: (chunk) => {
        run.stderrTail = (run.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
      },
    });
    const run: Run = {
      child,
      followers: new Map(outputs.map((out) => [out.rendition.name, new SegmentListFollower(out.segmentListPath)])),
      segments: new LiveRunSegments(this.o.renditions, initFile),
      lastProgressMs: this.o.now(),
      stderrTail: '',
      hasEnded: false,
      exited,
      markExited,
    };
    this.run = run;
    // stderr is fully read when `exited` settles, so the log shows why it died.
    void child.exited.then((exit) => this.onRunEnded(run, exit.error ? { err: exit.error } : { code: exit.code, signal: exit.signal }));
    this.log.info({ ffmpegPid: child.pid, run: runNo, startNumber: this.publisher.nextSequence }, 'live ffmpeg started');
    // Older lists are of dead runs.
    if (runNo > 1) {
      for (const r of this.o.renditions) {
        rm(join(this.o.dir, '.ffmpeg', `${r.name}-${runNo - 1}.csv`), { force: true }).catch((err: unknown) => this.log.debug({ err }, 'old segment list not removed'));
      }
    }
  }

  private onRunEnded(run: Run, why: { err?: Error; code?: number | null; signal?: NodeJS.Signals | null }): void {
    if (run.hasEnded) return;
    run.hasEnded = true;
    run.markExited();
    if (this.isClosing) return;
    void this.enqueue(async () => {
      await this.collect(run); // segments finished just before it died are still good
      if (this.isClosing) return;
      await this.publishPartial(run);
      if (this.isClosing) return;
      this.failedRuns = run.segments.published > 0 ? 0 : this.failedRuns + 1;
      const delayMs = restartDelayMs(this.failedRuns, this.o.restartBackoffMs, this.o.restartBackoffMaxMs);
      this.log.warn(
        { err: why.err, code: why.code, signal: why.signal, stderr: run.stderrTail.trim().split('\n').slice(-5), delayMs },
        'live ffmpeg died; restarting',
      );
      this.restarts += 1;
      this.o.onRestart?.();
      this.state = 'restarting';
      this.publisher.markRestart();
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.isClosing) this.spawnRun();
      }, delayMs);
    });
  }

  private scheduleTick(): void {
    if (this.isClosing) return;
    this.tickTimer = setTimeout(() => {
      void this.enqueue(() => this.tick()).then(() => this.scheduleTick());
    }, this.o.pollIntervalMs);
  }

  private async tick(): Promise<void> {
    const run = this.run;
    if (run && !run.hasEnded) {
      await this.collect(run);
      if (this.o.now() - run.lastProgressMs > this.o.stallTimeoutMs) {
        this.log.warn({ ffmpegPid: run.child.pid, stallTimeoutMs: this.o.stallTimeoutMs }, 'live ffmpeg finished no segment in time; killing it');
        run.child.kill('SIGKILL');
      }
    }
    await this.publisher.deleteDue();
  }

  /**
   * The segment a dead run was writing goes out as far as ffmpeg got (MPEG-TS only: an fMP4 fragment reaches the file
   * only when it is complete). Without it, viewers lose up to a segment of picture on top of the restart, which is what
   * drained the buffer of players a few segments behind the live edge. The next run starts after it, with a discontinuity.
   */
  private async publishPartial(run: Run): Promise<void> {
    const startSeconds = run.segments.lastEndSeconds;
    if (this.o.segmentFormat !== 'ts' || startSeconds === undefined) return;
    // A rendition that finished a segment the others did not: the publisher skips that number; nothing to add to it.
    if ([...run.segments.pending.values()].some((p) => p.size > 0)) return;
    const sequence = this.publisher.nextSequence;
    const partial = await readPartialSegments({
      dirs: new Map(this.o.renditions.map((r) => [r.name, join(this.o.dir, r.name)])),
      filename: segmentFileName(this.o.segmentTag, sequence),
      startSeconds,
      ffmpeg: this.o.ffmpeg,
    });
    if (!partial) {
      this.log.info({ sequence }, 'the dead live ffmpeg left no partial segment to publish');
      return;
    }
    const sequenceOf = (filename: string): number | undefined => sequenceOfSegmentName(this.o.segmentTag, filename);
    for (const [rendition, entry] of partial) this.publisher.accept(run.segments, rendition, [entry], sequenceOf);
    if ((await this.publisher.publishReady(run.segments)) > 0) {
      const seconds = Math.min(...[...partial.values()].map((e) => e.endSeconds - e.startSeconds));
      this.log.info({ sequence, seconds: Math.round(seconds * 1000) / 1000 }, 'published the partial segment of the dead live ffmpeg');
    }
  }

  /** Reads the run's new segment-list lines and publishes what every rendition has finished. */
  private async collect(run: Run): Promise<void> {
    const sequenceOf = (filename: string): number | undefined => sequenceOfSegmentName(this.o.segmentTag, filename);
    for (const [rendition, follower] of run.followers) {
      this.publisher.accept(run.segments, rendition, await follower.readNew(), sequenceOf);
    }
    if ((await this.publisher.publishReady(run.segments)) > 0) {
      run.lastProgressMs = this.o.now();
      this.state = 'running';
    }
  }
}
