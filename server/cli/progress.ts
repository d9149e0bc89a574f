// Progress of a long CLI task: a cli-progress bar with percent and ETA in a terminal, plain lines otherwise (CI logs).
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  /** percent is 0..100; etaSeconds undefined while unknown; stage names what is happening (encoding, …). */
  update(percent: number, etaSeconds?: number, stage?: string): void;
  /** Ends the bar (or prints the last plain line once). Safe to call twice. */
  stop(): void;
}

export interface ProgressOptions {
  /** Where to draw; default process.stdout (a bar only when it is a terminal). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force the plain or bar mode; default: a bar when the stream is a terminal. */
  readonly isTTY?: boolean;
  /** Plain mode prints when the percent moved this much since the last line (default 10) … */
  readonly plainStepPercent?: number;
  /** … or this long passed (default 15 s), so a slow job still shows signs of life. */
  readonly plainEveryMs?: number;
  readonly now?: () => number;
}

/** "1m05s", "42s", or "?" while unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function clamp(percent: number): number {
  return Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
}

/** Plain lines: `label: 40% (encoding, ETA 12s)`, at most one per step or interval, and always the final 100 %. */
export function plainProgress(label: string, opts: ProgressOptions = {}): ProgressReporter {
  const stream = opts.stream ?? process.stdout;
  const step = opts.plainStepPercent ?? 10;
  const everyMs = opts.plainEveryMs ?? 15_000;
  const now = opts.now ?? Date.now;
  let lastPercent = -Infinity;
  let lastAt = -Infinity;
  let lastStage: string | undefined;
  let latest: { percent: number; eta: number | undefined; stage: string | undefined } | undefined;
  let isStopped = false;
  const print = (percent: number, eta: number | undefined, stage: string | undefined): void => {
    const detail = [stage, percent < 100 ? `ETA ${formatEta(eta)}` : undefined].filter(Boolean).join(', ');
    stream.write(`${label}: ${Math.floor(percent)}%${detail ? ` (${detail})` : ''}\n`);
    lastPercent = percent;
    lastAt = now();
    lastStage = stage;
  };
  return {
    update(percent, etaSeconds, stage) {
      if (isStopped) return;
      const p = clamp(percent);
      latest = { percent: p, eta: etaSeconds, stage };
      const isDue = p - lastPercent >= step || now() - lastAt >= everyMs || stage !== lastStage || (p >= 100 && lastPercent < 100);
      if (isDue) print(p, etaSeconds, stage);
    },
    stop() {
      if (isStopped) return;
      isStopped = true;
      if (latest && latest.percent !== lastPercent) print(latest.percent, latest.eta, latest.stage);
    },
  };
}

/** A redrawn bar; ETA comes from the task (it knows its own pace better than a linear guess over percent). */
export function barProgress(label: string, opts: ProgressOptions = {}): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | ETA {etaText} | {stage}`,
      stream: opts.stream ?? process.stdout,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      // The bar is for people; redraw four times a second at most.
      fps: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { etaText: '?', stage: '' });
  let isStopped = false;
  return {
    update(percent, etaSeconds, stage) {
      if (isStopped) return;
      bar.update(Math.round(clamp(percent)), { etaText: formatEta(etaSeconds), stage: stage ?? '' });
    },
    stop() {
      if (isStopped) return;
      isStopped = true;
      bar.stop();
    },
  };
}

export function createProgress(label: string, opts: ProgressOptions = {}): ProgressReporter {
  const isTTY = opts.isTTY ?? Boolean((opts.stream ?? process.stdout).isTTY);
  return isTTY ? barProgress(label, opts) : plainProgress(label, opts);
}
