// Edges with a 1 MiB memory tier while viewers and a sweep of every segment push more than that through it: the tier
// stays within its bound (evicting), and the viewers do not notice.
import { check, viewerChecks } from '../fault-result.ts';
import { PROBE_ASSET, readCounter, VIEWER_ASSET, warmAsset, withViewers, type StackFault } from '../fault-kit.ts';
import { pause } from '../until.ts';

const MEMORY_MB = 1;
const MAX_BYTES = MEMORY_MB * 1024 * 1024;

export const memoryBound: StackFault = {
  name: 'memory-bound',
  title: `a ${MEMORY_MB} MiB memory tier under more bytes than it holds`,
  rule: `0 failed viewer requests and 0 stalls; hls_edge_memory_tier_bytes never above ${MAX_BYTES} on either edge (sampled every 250 ms) while it evicts`,
  stack: 'vod',
  edgeMemoryMb: MEMORY_MB,
  async run(ctx) {
    const { stack } = ctx;
    const evictionsBefore = await Promise.all(stack.edges.map((e) => readCounter(e, 'hls_edge_memory_tier_evictions_total', '')));
    let peak = 0;
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const edge of stack.edges) {
          const bytes = await readCounter(edge, 'hls_edge_memory_tier_bytes', '');
          if (bytes !== undefined) {
            peak = Math.max(peak, bytes);
            samples += 1;
          }
        }
        await pause(250);
      }
    })();
    try {
      const run = await withViewers(ctx, `/vod/${VIEWER_ASSET}/master.m3u8`, async () => {
        // Both assets through both edges, twice: about 5 MiB per edge through a 1 MiB tier.
        for (let i = 0; i < 2; i++) for (const asset of [PROBE_ASSET, VIEWER_ASSET]) await warmAsset(stack.edges, asset);
        ctx.say(`swept every segment through both edges twice; memory tier peak so far ${peak} bytes`);
      });
      sampling = false;
      await sampler;
      const evictionsAfter = await Promise.all(stack.edges.map((e) => readCounter(e, 'hls_edge_memory_tier_evictions_total', '')));
      const evictions = evictionsAfter.reduce<number>((n, v, i) => n + (v ?? 0) - (evictionsBefore[i] ?? 0), 0);
      return {
        viewers: run.totals,
        events: run.events,
        faultAtMs: run.faultAtMs,
        recoveryMs: null,
        recoveryLabel: null,
        figures: { memoryTierMaxBytes: MAX_BYTES, peakBytes: peak, samples, evictions },
        checks: [
          ...viewerChecks(run.totals),
          check('memory tier within its bound', samples > 0 && peak <= MAX_BYTES, `peak ${peak} of ${MAX_BYTES} bytes (${samples} samples)`),
          check('the tier evicted (the bound was reached)', evictions > 0, `${evictions} evictions`),
        ],
      };
    } finally {
      sampling = false;
      await sampler;
    }
  },
};
