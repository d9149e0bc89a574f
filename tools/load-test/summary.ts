// The end-of-run summary printed to the terminal: the numbers a reader wants before opening the HTML report.
import type { LatencySummary } from './load-stats.ts';
import { percent } from './report-document.ts';
import type { LoadTestReport } from './report.ts';

function lat(s: LatencySummary): string {
  return `p50 ${s.p50}  p90 ${s.p90}  p99 ${s.p99}  p99.9 ${s.p99_9}  max ${s.max} ms  (${s.count})`;
}

export function renderSummary(r: LoadTestReport): string {
  const out: string[] = [];
  out.push(`edgeline loadtest (${r.mode}) ${r.target}  ${r.durationS.toFixed(1)} s`);
  out.push(`  requests      ${r.totals.requests}  (${r.totals.requestsPerS.toFixed(1)} req/s, ${r.totals.aborted} aborted at stop)`);
  out.push(`  throughput    ${r.totals.gbitPerS.toFixed(3)} Gbit/s  (${(r.totals.bytes / 1e6).toFixed(1)} MB)`);
  out.push(`  latency       ${lat(r.latencyMs.all)}`);
  for (const [k, s] of Object.entries(r.latencyMs.byKind)) out.push(`    ${k.padEnd(20)}${lat(s)}`);
  for (const [k, s] of Object.entries(r.latencyMs.byXCache)) out.push(`    ${`X-Cache ${k}`.padEnd(20)}${lat(s)}`);
  for (const [k, s] of Object.entries(r.latencyMs.ttfbByKind)) out.push(`    ${`TTFB ${k}`.padEnd(20)}${lat(s)}`);
  out.push(`  hit ratio     ${percent(r.cache.requestHitRatio)} of requests, ${percent(r.cache.byteHitRatio)} of bytes (hits: ${r.cache.hitValues.join('/')})`);
  const e = r.totals.errors;
  out.push(`  errors        ${r.totals.errorCount}  (connect ${e.connect}, timeout ${e.timeout}, 4xx ${e['4xx']}, 5xx ${e['5xx']}, other ${e.other})`);
  if (r.viewers) {
    const v = r.viewers;
    out.push(`  viewers       ${v.started} started, ${v.neverStarted} never played, ${v.failed} gave up`);
    out.push(`  startup       ${lat(v.startupMs)}`);
    out.push(`  stalls        ${v.stalls} in ${v.viewersWithStalls} viewers, ${v.stallS.toFixed(1)} s; rebuffering ratio ${percent(v.rebufferingRatio, 3)}`);
    out.push(`  switches      ${v.switches} rendition switches; ${v.skippedSegments} skipped segments; ${v.loops} VOD loops`);
    for (const f of v.failures) out.push(`  failure       ${f}`);
  }
  if (r.max) out.push(`  max mode      ${r.max.connections} connections, ${r.max.workers} thread(s), ${r.max.urls} URL(s), first ${r.max.firstUrl}`);
  if (r.toolLoad) {
    const perReq = r.toolLoad.cpuPerRequestUs === null ? '' : `, ${r.toolLoad.cpuPerRequestUs.toFixed(1)} µs/request`;
    out.push(`  tool load     ${r.toolLoad.cpuS.toFixed(2)} CPU s${perReq}, event loop ${percent(r.toolLoad.eventLoopUtilization, 0)} busy`);
    // A saturated event loop delays every request it sends: the numbers then describe the tool, not the server.
    if (r.toolLoad.eventLoopUtilization > 0.9) out.push('  warning       the tool was saturated and may have been the limit; try --workers 2 (max mode) or fewer viewers');
  }
  if (r.origin) {
    const resets = r.origin.counterResets > 0 ? ` (counter reset ${r.origin.counterResets}× during the run, summed across resets)` : '';
    out.push(`  origin        ${r.origin.requests} requests reached ${r.origin.url}${resets}; offload ${percent(r.origin.offload, 2)}`);
  }
  return out.join('\n');
}
