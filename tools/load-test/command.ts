// `edgeline loadtest`: simulated viewers (or --mode max) against an edge; a terminal summary, report.json and report.html.
import { loadConfig } from '../../server/core/config.ts';
import { wantsHelp } from '../../server/cli/help.ts';
import { abortOnStopSignal } from '../../server/core/process/signals.ts';
import { loadTestSpec } from './options.ts';
import { Progress } from './progress.ts';
import { renderArmsSummary } from './arms-report.ts';
import { runLoadTest, runLoadTestArms } from './run-load-test.ts';
import { renderSummary } from './summary.ts';

const USAGE = 'edgeline loadtest --target URL --viewers N [--ramp 10s] [--duration 60s] [--rendition auto|lowest|highest|random] [--out DIR] [--origin URL] [--mode viewers|max] [--connections 32] [--allow-remote]\n       edgeline loadtest --arms prefetch,no-prefetch --viewers N [--duration 60s] [--wan-rtt-ms 150] [--wan-bandwidth-mbps 20] [--edge-memory-mb 256] [--media ./media] [--redis URL]';

const NOTES = `
Viewers fetch the master playlist, pick a rendition, then fetch segments paced by a player buffer model: playback
starts at --startup-buffer, fetching pauses at --max-buffer ahead, an empty buffer is a stall. VOD loops from its
first segment when it ends (no new startup); live reloads the media playlist about every target duration.
Hits are responses with X-Cache HIT, STALE or REVALIDATED; MISS, BYPASS and ERROR are misses; responses without
X-Cache are left out of the hit ratio. --origin URL reads hls_origin_http_requests_total from URL/metrics before
and after: offload = 1 - origin requests / requests made. Ctrl-C stops early and still writes the report.
--arms prefetch,no-prefetch starts an origin (--media) behind a WAN proxy (--wan-*), then per arm, in order, a cold
edge with its own Redis prefix (prefetch --prefetch-segments ahead, or 0) and the same viewers against it (the path of
--target); the report puts the arms side by side: stalls, segment TTFB, startup, errors, the edges' prefetch counters.`;

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, loadTestSpec)) {
    process.stdout.write(`\n${NOTES.trim()}\n`);
    return 0;
  }
  const { values: opts } = loadConfig(loadTestSpec, process.env, argv);
  const progress = new Progress({ isTTY: process.stderr.isTTY === true, write: (s) => process.stderr.write(s) }, opts.progress);
  // Ctrl-C ends the run early but still writes the report of what was measured.
  const stop = abortOnStopSignal();
  try {
    if (opts.arms.length > 0) {
      const { report, files } = await runLoadTestArms(opts, progress, stop.signal);
      process.stdout.write(`${renderArmsSummary(report)}\n  report        ${files.json}\n                ${files.html}\n`);
      return 0;
    }
    const { report, files } = await runLoadTest(opts, progress, stop.signal);
    process.stdout.write(`${renderSummary(report)}\n  report        ${files.json}\n                ${files.html}\n`);
    return 0;
  } finally {
    stop.dispose();
  }
}
