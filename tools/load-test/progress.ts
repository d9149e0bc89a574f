// Live progress on stderr: one redrawn status line in a terminal, a plain line every few seconds otherwise (CI logs).

export interface ProgressLine {
  readonly elapsedS: number;
  readonly totalS: number;
  readonly activeViewers: number | undefined;
  readonly requestsPerS: number;
  readonly gbitPerS: number;
  readonly hitRatio: number | null;
  readonly stalls: number | undefined;
  readonly errors: number;
}

export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** Seconds between plain lines when stderr is not a terminal. */
const PLAIN_EVERY_S = 5;

export function formatProgress(p: ProgressLine): string {
  const parts = [`${Math.round(p.elapsedS)}s/${Math.round(p.totalS)}s`];
  if (p.activeViewers !== undefined) parts.push(`viewers ${p.activeViewers}`);
  parts.push(`${formatCount(p.requestsPerS)} req/s`, `${p.gbitPerS.toFixed(3)} Gbit/s`);
  parts.push(`hit ${p.hitRatio === null ? '-' : `${(p.hitRatio * 100).toFixed(1)}%`}`);
  if (p.stalls !== undefined) parts.push(`stalls ${p.stalls}`);
  parts.push(`errors ${p.errors}`);
  return parts.join('  ');
}

function formatCount(n: number): string {
  return n >= 100 ? String(Math.round(n)) : n.toFixed(1);
}

export class Progress {
  private readonly sink: ProgressSink | undefined;
  private readonly isLive: boolean;
  private lastPlainS = -Infinity;
  private drawn = false;

  /** `sink` undefined: silent. `isLive` false (--no-progress): only notes, such as warnings, are written. */
  constructor(sink: ProgressSink | undefined, isLive = true) {
    this.sink = sink;
    this.isLive = isLive;
  }

  update(p: ProgressLine): void {
    if (!this.sink || !this.isLive) return;
    const line = formatProgress(p);
    if (this.sink.isTTY) {
      // \r and "erase line" (ESC [2K) redraw in place instead of scrolling.
      this.sink.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else if (p.elapsedS - this.lastPlainS >= PLAIN_EVERY_S) {
      this.sink.write(`${line}\n`);
      this.lastPlainS = p.elapsedS;
    }
  }

  note(text: string): void {
    if (!this.sink) return;
    this.finish();
    this.sink.write(`${text}\n`);
  }

  /** A new run on the same sink (the next arm): its clock starts again at 0. */
  restart(): void {
    this.finish();
    this.lastPlainS = -Infinity;
  }

  /** End the redrawn line so what follows starts on a fresh one. */
  finish(): void {
    if (this.sink?.isTTY && this.drawn) this.sink.write('\n');
    this.drawn = false;
  }
}
