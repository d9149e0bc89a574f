// The origin's live channels: starts one LiveChannel per configured channel, reports their state and exports their metrics.
import { join } from 'node:path';
import { Counter, Gauge } from 'prom-client';
import { AppError } from '../../core/errors.ts';
import { LiveChannel } from './channel.ts';
import { DEFAULT_LIVE_RENDITIONS, findFontFile } from './ffmpeg-args.ts';
import type { LiveChannelStatus, LiveManager, LiveManagerOptions } from './types.ts';

/** Channel names are URL path segments and metric labels. */
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const RENDITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** A live manager can also tell which ffmpeg serves a channel (for operators and tests that kill it on purpose). */
export interface LiveManagerHandle extends LiveManager {
  ffmpegPidOf(name: string): number | undefined;
}

function validate(opts: LiveManagerOptions): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of opts.channels) {
    if (!CHANNEL_NAME.test(c.name)) problems.push(`live channel name "${c.name}" must be 1-64 letters, digits, "-" or "_"`);
    if (seen.has(c.name)) problems.push(`live channel name "${c.name}" is used twice`);
    seen.add(c.name);
    if (!c.source) problems.push(`live channel "${c.name}" needs a source (a file or "sample")`);
  }
  if (!(opts.segmentSeconds >= 1 && opts.segmentSeconds <= 10)) problems.push(`live segment length ${opts.segmentSeconds} s must be between 1 and 10`);
  if (!(Number.isInteger(opts.windowSegments) && opts.windowSegments >= 2)) problems.push(`live window of ${opts.windowSegments} segments must be an integer >= 2`);
  for (const r of opts.renditions ?? []) {
    if (!RENDITION_NAME.test(r.name)) problems.push(`live rendition name "${r.name}" must be letters, digits, "-" or "_"`);
    // 4:2:0 chroma needs even sizes.
    if (r.width < 16 || r.height < 16 || r.width % 2 !== 0 || r.height % 2 !== 0) problems.push(`live rendition "${r.name}" size ${r.width}x${r.height} must be even and at least 16x16`);
  }
  if (opts.renditions && opts.renditions.length === 0) problems.push('live renditions must not be empty');
  if (problems.length > 0) throw new AppError('LIVE_CONFIG_INVALID', 500, problems.join('; '));
}

export function createLiveManager(opts: LiveManagerOptions): LiveManagerHandle {
  validate(opts);
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const allRenditions = opts.renditions ?? DEFAULT_LIVE_RENDITIONS;
  const renditions = opts.singleRendition ? allRenditions.slice(0, 1) : allRenditions;
  // Unique per manager start: segment names must not repeat after an origin restart, since edges cache them as immutable.
  const segmentTag = now().toString(36);
  const channels = new Map<string, LiveChannel>();

  const restarts = new Counter({
    name: 'hls_origin_live_restarts_total',
    help: 'Times a live channel\'s ffmpeg died and was restarted',
    labelNames: ['channel'] as const,
    registers: [opts.registry],
  });
  const statuses = (): LiveChannelStatus[] => [...channels.values()].map((c) => c.status());
  new Gauge({
    name: 'hls_origin_live_media_sequence',
    help: 'EXT-X-MEDIA-SEQUENCE of a live channel\'s media playlists',
    labelNames: ['channel'] as const,
    registers: [opts.registry],
    collect() {
      for (const s of statuses()) this.set({ channel: s.name }, s.mediaSequence);
    },
  });
  new Gauge({
    name: 'hls_origin_live_up',
    help: '1 while a live channel is publishing segments, 0 while it starts, restarts or is stopped',
    labelNames: ['channel'] as const,
    registers: [opts.registry],
    collect() {
      for (const s of statuses()) this.set({ channel: s.name }, s.state === 'running' ? 1 : 0);
    },
  });

  for (const spec of opts.channels) {
    channels.set(
      spec.name,
      new LiveChannel({
        name: spec.name,
        source: spec.source,
        dir: join(opts.mediaDir, 'live', spec.name),
        ffmpeg: opts.ffmpeg,
        renditions,
        segmentSeconds: opts.segmentSeconds,
        windowSegments: opts.windowSegments,
        frameRate: opts.frameRate ?? 25,
        audioKbps: opts.audioKbps ?? 64,
        restartBackoffMs: opts.restartBackoffMs ?? 1_000,
        restartBackoffMaxMs: opts.restartBackoffMaxMs ?? 30_000,
        stallTimeoutMs: opts.stallTimeoutMs ?? 15_000 + 4 * opts.segmentSeconds * 1000,
        pollIntervalMs: opts.pollIntervalMs ?? 200,
        segmentFormat: opts.segmentFormat ?? 'ts',
        segmentTag,
        logger: log,
        now,
        onRestart: () => restarts.inc({ channel: spec.name }),
      }),
    );
    // Present from the start, so dashboards see 0 rather than no series.
    restarts.inc({ channel: spec.name }, 0);
  }

  const killAll = (): void => {
    for (const c of channels.values()) c.killNow();
  };
  let isStarted = false;

  const manager: LiveManagerHandle = {
    async start() {
      if (isStarted) return;
      isStarted = true;
      process.once('exit', killAll);
      const fontFile = opts.fontFile === null ? undefined : (opts.fontFile ?? (await findFontFile()));
      if (opts.channels.some((c) => c.source === 'sample') && !fontFile) log.info('no font found under /usr/share/fonts; the sample has no burned-in clock');
      try {
        for (const channel of channels.values()) await channel.start(fontFile);
      } catch (err) {
        await manager.close();
        throw err;
      }
      log.info({ channels: opts.channels.map((c) => c.name), renditions: renditions.map((r) => r.name) }, 'live channels started');
    },

    async close() {
      await Promise.all([...channels.values()].map((c) => c.close()));
      process.off('exit', killAll);
    },

    status: statuses,

    dirOf(name) {
      return channels.has(name) ? join(opts.mediaDir, 'live', name) : undefined;
    },

    targetDurationOf(name) {
      return channels.get(name)?.targetDurationSeconds;
    },

    ffmpegPidOf(name) {
      return channels.get(name)?.ffmpegPid;
    },
  };
  return manager;
}
