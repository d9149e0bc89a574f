// `npm run bench`: starts the origin, the edge and the baselines on 127.0.0.1, measures, and writes bench/results/.
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../server/cli/local-probes.ts';
import { PACKAGE_ROOT } from '../../server/core/package-root.ts';
import { edgeFields } from '../../server/edge/edge-config.ts';
import { renderBenchHtml } from './bench-report.ts';
import { buildChecks } from './checks.ts';
import { cmcdQueries } from './cmcd-query.ts';
import { clockTicksPerSecond } from './cpu.ts';
import { startDelayProxy } from './delay-proxy.ts';
import { HOT_ASSET, PLAYLIST_BYTES, PLAYLIST_PATH, SEGMENT_BYTES, SEGMENT_PATH, VIEWER_ASSET, VIEWER_MASTER_PATH, writeColdAsset, writeHerdFiles, writeHotAsset, writeViewerAsset } from './fixtures.ts';
import { herdFilesNeeded, runHerds, type HerdTarget } from './herd.ts';
import { AUTOCANNON, detectWrk, type ToolName } from './load-tools.ts';
import { RssSampler, treeSnapshot } from './measure.ts';
import { measureMisses, MISS_WARMUP } from './miss.ts';
import { detectNginx, startNginx } from './nginx-baseline.ts';
import { startNodeBaseline } from './node-baseline.ts';
import { runCommand, stopAll, type Child } from './processes.ts';
import { renderMarkdown, type BenchResults, type Body, type MemoryResult, type Server } from './results-table.ts';
import { deletePrefix, redisVersion, startEdge, startOrigin, type Started } from './stack.ts';
import { cellOf, runMatrix, warmAndVerify, type Endpoint, type MatrixCell, type MatrixContext } from './throughput.ts';
import { detectVarnish, startVarnish } from './varnish-baseline.ts';
import { runViewerLoad } from './viewers.ts';
import { exitCodeFor, trapStopSignals } from '../../server/core/process/signals.ts';

type Snapshot = ReturnType<typeof treeSnapshot>;
const listMiB = (s: Snapshot | undefined): string => (s ?? []).map((p) => `${p.name} ${(p.rssBytes / 2 ** 20).toFixed(0)} MiB`).join(', ');
/** When an edge that has served nothing counts as idle: V8's memory reducer has run by then (after 20 s to 50 s here). */
const IDLE_AFTER_MS = 60_000;

export const SECTIONS = ['hits', 'redis', 'miss', 'herd', 'viewers', 'tool', 'idle'] as const;
export type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only hits,redis,miss,herd,viewers,tool,idle] [--out DIR] [--edge-memory-mb N]

  --quick            a smoke run (under 2 minutes on a quiet machine): 1 run of 1 s per figure instead of 3 of 5 s,
                     1 herd per target instead of 3, 20 viewers × 10 s instead of 200 × 60 s, 10 cold segments
                     instead of 60, no untimed warm-up load, and no "tool" or "idle" section unless --only names it
  --only LIST        sections to run (repeatable or comma-separated); memory is sampled during whatever runs
  --out DIR          where results go (default bench/results)
  --edge-memory-mb   memory tier of the edge under test (default: the edge's own default, ${edgeFields.memoryMb.default} MiB)

The edge runs with its shipped defaults (workers, access log, log level); nginx logs every request too.`;

interface Flags {
  readonly quick: boolean;
  readonly sections: ReadonlySet<Section>;
  readonly outDir: string;
  /** undefined: the edge's default. */
  readonly edgeMemoryMb: number | undefined;
}

function parseFlags(argv: string[], repoRoot: string): Flags | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      'edge-memory-mb': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--only: expected sections among ${SECTIONS.join(', ')}, got "${unknown.join(', ')}"`);
  const memoryFlag = values['edge-memory-mb'];
  const memory = memoryFlag === undefined ? undefined : Number(memoryFlag);
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 1)) throw new Error(`--edge-memory-mb: expected a positive integer, got "${memoryFlag}"`);
  return {
    quick: values.quick,
    sections: new Set(only.length > 0 ? (only as Section[]) : SECTIONS.filter((s) => !values.quick || (s !== 'tool' && s !== 'idle'))),
    outDir: resolve(values.out ?? join(repoRoot, 'bench', 'results')),
    edgeMemoryMb: memory,
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
  const runS = flags.quick ? 1 : 5;
  const reps = flags.quick ? 1 : 3;
  const connections = [32, 128] as const;
  const viewers = flags.quick ? 20 : 200;
  const viewerS = flags.quick ? 10 : 60;
  const rampS = flags.quick ? 3 : 10;
  const coldCount = flags.quick ? 10 : 60;
  const herdReps = flags.quick ? 1 : 3;
  const herdWaiters = 200;
  const herdEdges = 3;
  const originDelayMs = 200;
  const edgeMemoryMb = flags.edgeMemoryMb ?? edgeFields.memoryMb.default;
  const edgeWorkers = edgeFields.workers.default || availableParallelism();

  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const loadBefore = loadavg();
  const [nginx, varnish, wrk, redis, git, ticksPerS] = await Promise.all([
    detectNginx(), detectVarnish(), detectWrk(), redisVersion(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'), gitDescribe(repoRoot), clockTicksPerSecond(),
  ]);
  const redisUrl = redis !== undefined ? (process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379') : undefined;
  const autocannon = autocannonVersion(repoRoot);
  const notes: string[] = [];
  if (!nginx) notes.push('nginx is not installed: the nginx proxy_cache baseline was skipped (apt-get install -y nginx).');
  if (!varnish) notes.push('varnishd is not installed: the Varnish baseline was skipped (apt-get install -y varnish).');
  if (!wrk) notes.push('wrk is not installed: figures come from the edgeline tool alone (one URL, no CMCD rotation), and headline ratios use it.');
  if (!autocannon) notes.push('autocannon is missing from node_modules: the tool-vs-autocannon comparison was skipped.');
  if (!redisUrl) notes.push('no Redis answered: the edge ran on its memory tier alone; the Redis-tier and herd sections were skipped.');
  const headlineTool: ToolName = wrk ? 'wrk' : 'edgeline';

  const tmp = mkdtempSync(join(tmpdir(), 'edgeline-bench-'));
  // Varnish's cache process runs as its own user and must reach its folder in here.
  chmodSync(tmp, 0o755);
  const mediaDir = join(tmp, 'media');
  const logDir = join(tmp, 'logs');
  const scratch = join(tmp, 'scratch');
  for (const d of [mediaDir, logDir, scratch]) mkdirSync(d, { recursive: true });
  const redisPrefix = `bench:${randomUUID().slice(0, 8)}:`;
  const samplers = new Map<Server, { sampler: RssSampler; memoryMb: number; started: Snapshot; idle: Snapshot }>();
  // What the edge under test gets besides where it listens, its origin, Redis and name (see edgeArgs).
  const edgeFlagsShown = flags.edgeMemoryMb !== undefined ? `--memory-mb ${flags.edgeMemoryMb}` : '';
  const results: BenchResults = {
    benchVersion: 2,
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
      varnish: varnish?.version ?? null,
      wrk: wrk?.version ?? null,
      autocannon,
      redis: redis ?? null,
      runS,
      reps,
      connections: [...connections],
      edgeWorkers,
      edgeMemoryMb,
      edgeFlags: edgeFlagsShown === '' ? 'no tuning flags' : edgeFlagsShown,
      herdWaiters,
      originDelayMs,
      quick: flags.quick,
      sections: [...flags.sections],
      viewerAsset: null,
      headlineTool,
    },
    verification: [],
    throughput: [],
    miss: null,
    herd: [],
    memory: [],
    viewers: [],
    checks: [],
    notes,
  };

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const [server, { sampler, memoryMb, started, idle }] of samplers) {
      const peak = sampler.stop();
      if (peak.samples > 0) {
        const mb = (b: number): number => b / 2 ** 20;
        results.memory.push({
          server,
          memoryTierMb: memoryMb,
          idleMb: mb(idle.reduce((n, p) => n + p.rssBytes, 0) || peak.idleBytes),
          idleProcesses: idle.map((p) => ({ name: p.name, rssMb: mb(p.rssBytes) })),
          startedProcesses: started.map((p) => ({ name: p.name, rssMb: mb(p.rssBytes) })),
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
    // A run that stopped early keeps its servers' logs: they say why.
    if (process.exitCode === 1 && !interrupted) {
      const kept = join(flags.outDir, `${stamp}-logs`);
      try {
        cpSync(logDir, kept, { recursive: true });
        notes.push(`the servers' logs are kept in ${kept}`);
      } catch (err) {
        notes.push(`could not keep the servers' logs: ${(err as Error).message}`);
      }
    }
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

  // The player's CMCD query: a few sessions and buffer states per run, so no server sees one repeated string.
  const segmentQueries = cmcdQueries({ object: 'segment', contentId: PLAYLIST_PATH, count: 8 });
  const playlistQueries = cmcdQueries({ object: 'playlist', contentId: PLAYLIST_PATH, count: 8 });

  try {
    say(`edgeline benchmark${flags.quick ? ' (--quick)' : ''}: sections ${[...flags.sections].join(', ')}; temp ${tmp}`);
    writeHotAsset(mediaDir);
    const cold = has('miss') ? writeColdAsset(mediaDir, coldCount + MISS_WARMUP) : undefined;
    const runHerd = has('herd') && redisUrl !== undefined;
    const herdTargets = 1 + (nginx ? 1 : 0) + (varnish ? 1 : 0);
    const herdFiles = runHerd ? writeHerdFiles(mediaDir, herdFilesNeeded(herdEdges + herdTargets - 1, herdTargets, herdReps)) : [];
    if (has('viewers')) results.conditions = { ...results.conditions, viewerAsset: await writeViewerAsset(mediaDir, repoRoot, say) };
    say('media written; starting the origin');

    const origin = await startOrigin({ repoRoot, port: await freePort(), mediaDir, logDir });
    const originPort = Number(new URL(origin.url).port);
    const edgeStart = { repoRoot, originUrl: origin.url, redisUrl, redisPrefix, logDir };
    const edge = await startEdge({ ...edgeStart, name: 'bench-edge', port: await freePort(), memoryMb: flags.edgeMemoryMb });
    const edgeStartedAt = Date.now();
    samplers.set('edge', { sampler: new RssSampler(edge.child.pid), memoryMb: edgeMemoryMb, started: [], idle: [] });
    say(`origin ${origin.url}, edge ${edge.url} (shipped defaults: ${results.conditions.edgeFlags}; Redis ${redisUrl ? `prefix ${redisPrefix}` : 'none'})`);

    let edgeRedis: Started | undefined;
    if (has('redis') && redisUrl) {
      // --memory-mb 0 turns the memory tier off: every hit is a Redis hit (same Redis and prefix as the edge above).
      edgeRedis = await startEdge({ ...edgeStart, name: 'bench-edge-redis', port: await freePort(), memoryMb: 0 });
      samplers.set('edge-redis', { sampler: new RssSampler(edgeRedis.child.pid), memoryMb: 0, started: [], idle: [] });
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
    let nginxHit: Started | undefined;
    if (has('hits') && nginx) {
      const port = await freePort();
      const child = await startNginx(nginx, { dir: join(tmp, 'nginx'), port, originPort, accessLog: true });
      nginxHit = { child, url: `http://127.0.0.1:${port}` };
      say(`nginx ${nginx.version} proxy_cache ${nginxHit.url} (access log on)`);
    }
    let varnishHit: Started | undefined;
    if (has('hits') && varnish) {
      const port = await freePort();
      const child = await startVarnish(varnish, { dir: join(tmp, 'varnish'), port, originPort });
      varnishHit = { child, url: `http://127.0.0.1:${port}` };
      say(`Varnish ${varnish.version} ${varnishHit.url} (malloc 256 MiB)`);
    }

    // Memory 2 s after start, nothing requested yet. (The idle figure proper is read at the end, on an edge of its own.)
    const settle = 2_000 - (Date.now() - edgeStartedAt);
    if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    for (const [server, entry] of samplers) {
      const root = server === 'edge' ? edge.child.pid : edgeRedis?.child.pid;
      if (root !== undefined) entry.started = treeSnapshot(root);
    }
    say(`edge just started: ${listMiB(samplers.get('edge')?.started)}`);

    // Throughput: one cell per (body, server, tool, connections), shared by the sections that need it.
    const matrix = new Map<string, MatrixCell>();
    const endpoints = new Map<string, Endpoint>();
    const want = (server: Server, s: Started | undefined, body: Body, tools: readonly ToolName[], conns: readonly number[]): void => {
      if (!s) return;
      const path = body === 'segment' ? SEGMENT_PATH : PLAYLIST_PATH;
      const variants = (body === 'segment' ? segmentQueries : playlistQueries).map((q) => `${path}?${q}`);
      const e: Endpoint = { server, body, bodyBytes: body === 'segment' ? SEGMENT_BYTES : PLAYLIST_BYTES, url: `${s.url}${variants[0] ?? path}`, variants, pid: s.child.pid };
      endpoints.set(`${server}/${body}`, e);
      for (const tool of tools) for (const c of conns) {
        const key = `${body}/${c}/${server}/${tool}`;
        if (!matrix.has(key)) matrix.set(key, { cell: cellOf(e, tool, c), endpoint: e });
      }
    };
    for (const body of ['segment', 'playlist'] as const) {
      if (has('hits')) {
        want('edge', edge, body, [headlineTool], connections);
        want('nginx', nginxHit, body, [headlineTool], connections);
        want('varnish', varnishHit, body, [headlineTool], connections);
        want('node', node, body, [headlineTool], connections);
      }
      if (has('tool') && autocannon) want('edge', edge, body, ['edgeline', 'autocannon'], [32]);
    }
    if (has('redis') && edgeRedis) {
      want('edge', edge, 'segment', [headlineTool], [32]);
      want('edge-redis', edgeRedis, 'segment', [headlineTool], [32]);
    }
    if (matrix.size > 0) {
      const ctx: MatrixContext = { wrk, scratch, runS, reps, say, isStopping: () => interrupted, ticksPerS, warmConnections: flags.quick ? 0 : 32 };
      // The memory-tier edge first: it also fills Redis for the Redis-tier edge.
      const order: Server[] = ['edge', 'edge-redis', 'nginx', 'varnish', 'node'];
      for (const e of [...endpoints.values()].sort((a, b) => order.indexOf(a.server) - order.indexOf(b.server))) {
        const v = await warmAndVerify(e, ctx);
        results.verification.push(v.line);
        if (!v.ok) notes.push(`${v.line}: its figures are suspect.`);
        say(`warm: ${v.line}`);
      }
      // Each figure's servers side by side, so within a repetition they meet the same conditions.
      const list = [...matrix.values()].sort((a, b) =>
        a.cell.body.localeCompare(b.cell.body) || a.cell.connections - b.cell.connections || a.cell.tool.localeCompare(b.cell.tool) || order.indexOf(a.cell.server) - order.indexOf(b.cell.server));
      say(`throughput: ${list.length} figures × ${reps} run(s) of ${runS} s (about ${Math.ceil((list.length * reps * (runS + 0.8)) / 60)} min)`);
      await runMatrix(list, ctx, notes);
      results.throughput.push(...list.map((m) => m.cell));
    }
    // The baselines of the hits are done: stop them, so they take no CPU from what follows.
    await Promise.all([nginxHit?.child.stop(), varnishHit?.child.stop(), edgeRedis?.child.stop()]);

    if (has('miss') && cold) {
      // For comparison only: the same misses through an edge that skips the Redis lookup and the cross-edge fill lock.
      const noRedis = redisUrl ? await startEdge({ ...edgeStart, redisUrl: undefined, name: 'bench-edge-no-redis', port: await freePort(), memoryMb: flags.edgeMemoryMb }) : undefined;
      say(`misses: ${coldCount} cold segments each through the edge, direct from the origin${noRedis ? ' and through an edge without Redis' : ''}, one at a time`);
      results.miss = await measureMisses({ edgeUrl: edge.url, originUrl: origin.url, noRedisEdgeUrl: noRedis?.url, cold, say });
      await noRedis?.child.stop();
      samplers.get('edge')?.sampler.sample();
    }

    if (runHerd && !interrupted) {
      const proxy = await startDelayProxy({ port: await freePort(), target: origin.url, delayMs: originDelayMs, logFile: join(logDir, 'delay-proxy.log') });
      const herdChildren: Child[] = [proxy.child];
      try {
        const herdPrefix = `${redisPrefix}herd:`;
        // nginx and Varnish start beside the edges: each takes seconds on a busy machine.
        const track = <T extends { child: Child } | Child>(p: Promise<T>): Promise<T> =>
          p.then((x) => {
            herdChildren.push('child' in x ? x.child : x);
            return x;
          });
        const proxyPort = Number(new URL(proxy.url).port);
        const [nginxPort, varnishPort] = [nginx ? await freePort() : 0, varnish ? await freePort() : 0];
        const ports = await Promise.all(Array.from({ length: herdEdges }, () => freePort()));
        const [edges] = await Promise.all([
          // The edges one after the other: side by side, six workers start at once and can take longer than the wait.
          (async () => {
            const out: Started[] = [];
            for (const [i, port] of ports.entries()) out.push(await track(startEdge({ ...edgeStart, originUrl: proxy.url, redisPrefix: herdPrefix, name: `bench-herd-edge-${i + 1}`, port, memoryMb: flags.edgeMemoryMb })));
            return out;
          })(),
          nginx ? track(startNginx(nginx, { dir: join(tmp, 'nginx-herd'), port: nginxPort, originPort: proxyPort, accessLog: true, name: 'nginx (herd)' })) : undefined,
          varnish ? track(startVarnish(varnish, { dir: join(tmp, 'varnish-herd'), port: varnishPort, originPort: proxyPort, name: 'varnish (herd)' })) : undefined,
        ]);
        // The floor: node:http ×3 (as many workers as an edge) answering the same herd from memory.
        const floorNodes: string[] = [];
        for (let i = 0; i < herdEdges; i++) {
          const port = await freePort();
          await track(startNodeBaseline({ port, mediaDir, assets: [HOT_ASSET], workers: availableParallelism(), logFile: join(logDir, `node-baseline-herd-${i + 1}.log`) }));
          floorNodes.push(`http://127.0.0.1:${port}`);
        }
        const targets: HerdTarget[] = [{ server: 'edge', nodes: edges.map((e) => e.url) }];
        if (nginx) targets.push({ server: 'nginx', nodes: [`http://127.0.0.1:${nginxPort}`] });
        if (varnish) targets.push({ server: 'varnish', nodes: [`http://127.0.0.1:${varnishPort}`] });
        targets.push({ server: 'edge', nodes: edges.map((e) => e.url), warm: true }, { server: 'node', nodes: floorNodes, warm: true });
        say(`herd: ${herdWaiters} concurrent cold requests × ${herdReps} per target (${targets.map((t) => `${t.server} ×${t.nodes.length}${t.warm ? ' warm' : ''}`).join(', ')}), origin behind ${proxy.url} adding ${originDelayMs} ms`);
        results.herd.push(...(await runHerds({ targets, proxy, originDelayMs, waiters: herdWaiters, reps: herdReps, coldPaths: herdFiles, segmentBytes: SEGMENT_BYTES, warmPath: SEGMENT_PATH, queries: segmentQueries, say, isStopping: () => interrupted })));
      } finally {
        await Promise.all(herdChildren.map((c) => c.stop()));
      }
    }

    if (has('viewers')) {
      say(`viewers: ${viewers} viewers × ${viewerS} s through the edge (origin offload from ${origin.url}/metrics)`);
      results.viewers.push(await runViewerLoad({ server: 'edge', target: `${edge.url}${VIEWER_MASTER_PATH}`, originUrl: origin.url, viewers, durationS: viewerS, rampS, scratch }));
      if (node) {
        say(`viewers: ${viewers} viewers × ${viewerS} s against the node:http baseline`);
        results.viewers.push(await runViewerLoad({ server: 'node', target: `${node.url}${VIEWER_MASTER_PATH}`, originUrl: undefined, viewers, durationS: viewerS, rampS, scratch }));
      }
    }

    if (has('idle')) {
      // Idle: an edge that has served nothing, read once V8's memory reducer has returned what starting up left behind
      // (it runs after some seconds without work). On an edge of its own, at the end: waiting that long on the edge
      // under test would let V8 drop the compiled code of its request path, and the first figures would measure that.
      const idleEdge = await startEdge({ ...edgeStart, name: 'bench-edge-idle', port: await freePort(), memoryMb: flags.edgeMemoryMb });
      try {
        say(`idle: an edge of its own, read ${IDLE_AFTER_MS / 1000} s after its start with nothing requested`);
        await new Promise((r) => setTimeout(r, IDLE_AFTER_MS));
        const entry = samplers.get('edge');
        if (entry) entry.idle = treeSnapshot(idleEdge.child.pid);
        say(`idle edge: ${listMiB(entry?.idle)}`);
      } finally {
        await idleEdge.child.stop();
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
  const base = join(flags.outDir, stamp);
  const html = renderBenchHtml(results);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${markdown}\n`);
  writeFileSync(`${base}.html`, html);
  writeFileSync(join(flags.outDir, 'latest.md'), `${markdown}\n`);
  writeFileSync(join(flags.outDir, 'latest.html'), html);
  process.stdout.write(`\n${markdown}\n`);
  say(`results: ${base}.json, ${base}.md, ${base}.html, ${join(flags.outDir, 'latest.md')}, ${join(flags.outDir, 'latest.html')}`);
  return process.exitCode === 1 ? 1 : 0;
}
