// `npm run bench`: starts the origin, the edge and the baselines on 127.0.0.1, measures, and writes bench/results/.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../server/cli/local-probes.ts';
import { PACKAGE_ROOT } from '../../server/core/package-root.ts';
import { buildChecks } from './checks.ts';
import { HOT_ASSET, PLAYLIST_BYTES, PLAYLIST_PATH, SEGMENT_BYTES, SEGMENT_PATH, VIEWER_ASSET, VIEWER_MASTER_PATH, writeColdAsset, writeHotAsset, writeViewerAsset } from './fixtures.ts';
import { AUTOCANNON, detectWrk } from './load-tools.ts';
import { RssSampler } from './measure.ts';
import { measureMisses, MISS_WARMUP } from './miss.ts';
import { detectNginx, startNginx } from './nginx-baseline.ts';
import { startNodeBaseline } from './node-baseline.ts';
import { runCommand, stopAll } from './processes.ts';
import { renderMarkdown, type BenchResults, type MemoryResult, type Server, type ThroughputCell } from './results-table.ts';
import { deletePrefix, redisVersion, startEdge, startOrigin, type Started } from './stack.ts';
import { cellOf, runMatrix, warmAndVerify, type Endpoint, type MatrixContext } from './throughput.ts';
import { runViewerLoad } from './viewers.ts';
import { exitCodeFor, trapStopSignals } from '../../server/core/process/signals.ts';

export const SECTIONS = ['hits', 'redis', 'miss', 'viewers', 'tool'] as const;
export type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only hits,redis,miss,viewers,tool] [--out DIR] [--edge-memory-mb 64] [--access-logs]

  --quick            2 s runs instead of 5 s, 30 viewers × 15 s instead of 200 × 60 s, 20 cold segments instead of 60
  --only LIST        sections to run (repeatable or comma-separated); memory is sampled during whatever runs
  --out DIR          where results go (default bench/results)
  --edge-memory-mb   memory tier of the edge under test (default 64, below the bytes the miss section pushes through)
  --access-logs      edge and nginx write an access log line per request (default off for both)`;

interface Flags {
  readonly quick: boolean;
  readonly sections: ReadonlySet<Section>;
  readonly outDir: string;
  readonly edgeMemoryMb: number;
  readonly accessLogs: boolean;
}

function parseFlags(argv: string[], repoRoot: string): Flags | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      'edge-memory-mb': { type: 'string', default: '64' },
      'access-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--only: expected sections among ${SECTIONS.join(', ')}, got "${unknown.join(', ')}"`);
  const memory = Number(values['edge-memory-mb']);
  if (!Number.isInteger(memory) || memory < 1) throw new Error(`--edge-memory-mb: expected a positive integer, got "${values['edge-memory-mb']}"`);
  return {
    quick: values.quick,
    sections: new Set(only.length > 0 ? (only as Section[]) : SECTIONS),
    outDir: resolve(values.out ?? join(repoRoot, 'bench', 'results')),
    edgeMemoryMb: memory,
    accessLogs: values['access-logs'],
  };
}

async function gitDescribe(repoRoot: string): Promise<string | null> {
  const head = await runCommand('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], 5_000);
  if (head.code !== 0) return null;
  const dirty = await runCommand('git', ['-C', repoRoot, 'status', '--porcelain'], 5_000);
  return `${head.output.trim()}${dirty.output.trim() ? ' + uncommitted changes' : ''}`;
}

function autocannonVersion(repoRoot: string): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' && existsSync(AUTOCANNON) ? pkg.version : null;
  } catch {
    return null;
  }
}

export async function main(argv: string[]): Promise<number> {
  const repoRoot = PACKAGE_ROOT;
  let flags: Flags | undefined;
  try {
    flags = parseFlags(argv, repoRoot);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!flags) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const t0 = Date.now();
  const say = (msg: string): void => {
    const s = Math.round((Date.now() - t0) / 1000);
    process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}\n`);
  };
  const has = (s: Section): boolean => flags.sections.has(s);
  const runS = flags.quick ? 2 : 5;
  const reps = 3;
  const connections = 32;
  const viewers = flags.quick ? 30 : 200;
  const viewerS = flags.quick ? 15 : 60;
  const rampS = flags.quick ? 5 : 10;
  const coldCount = flags.quick ? 20 : 60;

  const startedAt = new Date();
  const loadBefore = loadavg();
  const [nginx, wrk, redis, git] = await Promise.all([detectNginx(), detectWrk(), redisVersion(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'), gitDescribe(repoRoot)]);
  const redisUrl = redis !== undefined ? (process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379') : undefined;
  const autocannon = autocannonVersion(repoRoot);
  const notes: string[] = [];
  if (!nginx) notes.push('nginx is not installed: the nginx proxy_cache baseline was skipped.');
  if (!wrk) notes.push('wrk is not installed: figures come from the edgeline tool alone, and headline ratios use it.');
  if (!autocannon) notes.push('autocannon is missing from node_modules: the tool-vs-autocannon comparison was skipped.');
  if (!redisUrl) notes.push('no Redis answered: the edge ran on its memory tier alone and the Redis-tier section was skipped.');
  const headlineTool = wrk ? 'wrk' : 'edgeline';

  const tmp = mkdtempSync(join(tmpdir(), 'edgeline-bench-'));
  const mediaDir = join(tmp, 'media');
  const logDir = join(tmp, 'logs');
  const scratch = join(tmp, 'scratch');
  for (const d of [mediaDir, logDir, scratch]) mkdirSync(d, { recursive: true });
  const redisPrefix = `bench:${randomUUID().slice(0, 8)}:`;
  const samplers = new Map<Server, { sampler: RssSampler; memoryMb: number }>();
  const results: BenchResults = {
    benchVersion: 1,
    conditions: {
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      wallS: 0,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: availableParallelism(),
      memGiB: totalmem() / 2 ** 30,
      kernel: release(),
      node: process.version,
      git,
      loadBefore,
      loadAfter: [],
      nginx: nginx?.version ?? null,
      wrk: wrk?.version ?? null,
      autocannon,
      redis: redis ?? null,
      runS,
      reps,
      connections,
      edgeWorkers: availableParallelism(),
      edgeMemoryMb: flags.edgeMemoryMb,
      accessLogs: flags.accessLogs,
      quick: flags.quick,
      sections: [...flags.sections],
      viewerAsset: null,
      headlineTool,
    },
    verification: [],
    throughput: [],
    miss: null,
    memory: [],
    viewers: [],
    checks: [],
    notes,
  };

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const [server, { sampler, memoryMb }] of samplers) {
      const peak = sampler.stop();
      if (peak.samples > 0) {
        const mb = (b: number): number => b / 2 ** 20;
        results.memory.push({
          server,
          memoryTierMb: memoryMb,
          idleMb: mb(peak.idleBytes),
          peakMb: mb(peak.peakBytes),
          peakPssMb: mb(peak.peakPssBytes),
          peakProcesses: peak.peakProcesses.map((p) => ({ name: p.name, rssMb: mb(p.rssBytes) })),
          samples: peak.samples,
          // --memory-mb bounds the whole edge (the workers split it), so the budget is for all its processes together.
          budgetMb: memoryMb + 150,
        } satisfies MemoryResult);
      }
    }
    await stopAll();
    if (redisUrl) {
      try {
        const n = await deletePrefix(redisUrl, redisPrefix);
        say(`deleted ${n} Redis keys under ${redisPrefix}`);
      } catch (err) {
        notes.push(`could not delete the Redis keys under ${redisPrefix}: ${(err as Error).message}`);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  let interrupted = false;
  const signals = trapStopSignals({
    onSignal: (signal) => {
      interrupted = true;
      say('interrupted: stopping servers and removing temp files');
      void cleanup().finally(() => process.exit(exitCodeFor(signal)));
    },
  });

  try {
    say(`edgeline benchmark${flags.quick ? ' (--quick)' : ''}: sections ${[...flags.sections].join(', ')}; temp ${tmp}`);
    writeHotAsset(mediaDir);
    const cold = has('miss') ? writeColdAsset(mediaDir, coldCount + MISS_WARMUP) : undefined;
    if (has('viewers')) results.conditions = { ...results.conditions, viewerAsset: await writeViewerAsset(mediaDir, repoRoot, say) };
    say('media written; starting the origin');

    const origin = await startOrigin({ repoRoot, port: await freePort(), mediaDir, logDir });
    const edgeStart = { repoRoot, originUrl: origin.url, redisUrl, redisPrefix, workers: undefined, accessLog: flags.accessLogs, logDir };
    const edge = await startEdge({ ...edgeStart, name: 'bench-edge', port: await freePort(), memoryMb: flags.edgeMemoryMb });
    samplers.set('edge', { sampler: new RssSampler(edge.child.pid), memoryMb: flags.edgeMemoryMb });
    say(`origin ${origin.url}, edge ${edge.url} (memory tier ${flags.edgeMemoryMb} MiB, Redis ${redisUrl ? `prefix ${redisPrefix}` : 'none'})`);

    let edgeRedis: Started | undefined;
    if (has('redis') && redisUrl) {
      // --memory-mb 0 turns the memory tier off: every hit is a Redis hit (same Redis and prefix as the edge above).
      edgeRedis = await startEdge({ ...edgeStart, name: 'bench-edge-redis', port: await freePort(), memoryMb: 0 });
      samplers.set('edge-redis', { sampler: new RssSampler(edgeRedis.child.pid), memoryMb: 0 });
      say(`Redis-tier edge ${edgeRedis.url} (memory tier off)`);
    }
    let node: Started | undefined;
    if (has('hits') || has('viewers')) {
      const port = await freePort();
      const assets = [HOT_ASSET, ...(has('viewers') ? [VIEWER_ASSET] : [])];
      const child = await startNodeBaseline({ port, mediaDir, assets, workers: availableParallelism(), logFile: join(logDir, 'node-baseline.log') });
      node = { child, url: `http://127.0.0.1:${port}` };
      say(`node:http baseline ${node.url} (${availableParallelism()} workers)`);
    }
    let nginxUrl: string | undefined;
    if (has('hits') && nginx) {
      const port = await freePort();
      await startNginx(nginx, { dir: join(tmp, 'nginx'), port, originPort: Number(new URL(origin.url).port), accessLog: flags.accessLogs });
      nginxUrl = `http://127.0.0.1:${port}`;
      say(`nginx ${nginx.version} proxy_cache ${nginxUrl}`);
    }

    // Throughput: one cell per (body, server, tool), shared by the sections that need it.
    const cells = new Map<string, ThroughputCell>();
    const endpoints = new Map<string, Endpoint>();
    const want = (server: Server, base: string | undefined, body: 'segment' | 'playlist', tools: readonly ('wrk' | 'edgeline' | 'autocannon')[]): void => {
      if (!base) return;
      const e: Endpoint = { server, body, bodyBytes: body === 'segment' ? SEGMENT_BYTES : PLAYLIST_BYTES, url: `${base}${body === 'segment' ? SEGMENT_PATH : PLAYLIST_PATH}` };
      endpoints.set(`${server}/${body}`, e);
      for (const tool of tools) if (!cells.has(`${body}/${server}/${tool}`)) cells.set(`${body}/${server}/${tool}`, cellOf(e, tool));
    };
    const hitTools = wrk ? (['wrk', 'edgeline'] as const) : (['edgeline'] as const);
    for (const body of ['segment', 'playlist'] as const) {
      if (has('hits')) {
        want('edge', edge.url, body, hitTools);
        want('node', node?.url, body, hitTools);
        want('nginx', nginxUrl, body, hitTools);
      }
      if (has('tool') && autocannon) want('edge', edge.url, body, ['edgeline', 'autocannon']);
    }
    if (has('redis') && edgeRedis) {
      want('edge', edge.url, 'segment', hitTools);
      want('edge-redis', edgeRedis.url, 'segment', hitTools);
    }
    if (cells.size > 0) {
      const ctx: MatrixContext = { wrk, scratch, connections, runS, reps, say, isStopping: () => interrupted };
      // The memory-tier edge first: it also fills Redis for the Redis-tier edge.
      const order: Server[] = ['edge', 'edge-redis', 'node', 'nginx'];
      for (const e of [...endpoints.values()].sort((a, b) => order.indexOf(a.server) - order.indexOf(b.server))) {
        const v = await warmAndVerify(e, ctx);
        results.verification.push(v.line);
        if (!v.ok) notes.push(`${v.line}: its figures are suspect.`);
        say(`warm: ${v.line}`);
      }
      const list = [...cells.values()];
      say(`throughput: ${list.length} figures × ${reps} runs of ${runS} s (about ${Math.ceil((list.length * reps * (runS + 0.6)) / 60)} min)`);
      await runMatrix(list, ctx, notes);
      results.throughput.push(...list);
    }

    if (has('miss') && cold) {
      // For comparison only: the same misses through an edge that skips the Redis lookup and the cross-edge fill lock.
      const noRedis = redisUrl ? await startEdge({ ...edgeStart, redisUrl: undefined, name: 'bench-edge-no-redis', port: await freePort(), memoryMb: flags.edgeMemoryMb }) : undefined;
      say(`misses: ${coldCount} cold segments each through the edge, direct from the origin${noRedis ? ' and through an edge without Redis' : ''}, one at a time`);
      results.miss = await measureMisses({ edgeUrl: edge.url, originUrl: origin.url, noRedisEdgeUrl: noRedis?.url, cold, say });
      await noRedis?.child.stop();
      samplers.get('edge')?.sampler.sample();
    }

    if (has('viewers')) {
      say(`viewers: ${viewers} viewers × ${viewerS} s through the edge (origin offload from ${origin.url}/metrics)`);
      results.viewers.push(await runViewerLoad({ server: 'edge', target: `${edge.url}${VIEWER_MASTER_PATH}`, originUrl: origin.url, viewers, durationS: viewerS, rampS, scratch }));
      if (node) {
        say(`viewers: ${viewers} viewers × ${viewerS} s against the node:http baseline`);
        results.viewers.push(await runViewerLoad({ server: 'node', target: `${node.url}${VIEWER_MASTER_PATH}`, originUrl: undefined, viewers, durationS: viewerS, rampS, scratch }));
      }
    }
  } catch (err) {
    notes.push(`the run stopped early: ${(err as Error).message.split('\n')[0]}`);
    say(`error: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
    signals.dispose();
  }

  // An interrupted run writes no results: onSignal exits once everything is stopped and removed.
  if (interrupted) return 130;
  const finishedAt = new Date();
  results.conditions = { ...results.conditions, finishedAt: finishedAt.toISOString(), wallS: (finishedAt.getTime() - startedAt.getTime()) / 1000, loadAfter: loadavg() };
  results.checks.push(...buildChecks(results));
  const markdown = renderMarkdown(results);
  mkdirSync(flags.outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const base = join(flags.outDir, stamp);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${markdown}\n`);
  writeFileSync(join(flags.outDir, 'latest.md'), `${markdown}\n`);
  process.stdout.write(`\n${markdown}\n`);
  say(`results: ${base}.json, ${base}.md, ${join(flags.outDir, 'latest.md')}`);
  return process.exitCode === 1 ? 1 : 0;
}

