// `edgeline up`: the whole CDN on one machine — sample packaged on first run, origin (+ live channel), edges sharing Redis, router.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fields, loadConfig } from '../core/config.ts';
import { resolveFfmpegPaths } from '../origin/ffmpeg/paths.ts';
import { wantsHelp } from './help.ts';
import { redisAnswers, waitHealthy } from './local-probes.ts';
import { createProgress } from './progress.ts';
import { ensureSample } from './sample.ts';
import { ensureSelfSignedCertificate } from './self-signed.ts';
import { installShutdown } from '../core/process/shutdown.ts';
import { STOP_GRACE_MS } from '../core/process/supervisor.ts';
import { RoleSupervisor, type ChildSpec } from './supervisor.ts';

const spec = {
  edges: fields.int('edges', 2, { env: 'EDGES', min: 1, max: 16, help: 'edge nodes to run' }),
  regions: fields.list('regions', ['local'], { env: 'EDGE_REGIONS', help: 'regions, assigned to edges in turn' }),
  live: fields.bool('live', true, { env: 'LIVE', help: 'run the live channel "live" (--no-live to skip)' }),
  router: fields.bool('router', true, { help: 'run the router (--no-router to skip)' }),
  media: fields.string('media', 'media', { env: 'MEDIA_DIR', help: 'media folder' }),
  redis: fields.string('redis', 'redis://127.0.0.1:6379', { env: 'REDIS_URL', help: 'Redis shared by the edges' }),
  originPort: fields.int('origin-port', 8080, { env: 'ORIGIN_PORT', min: 1, max: 65535, help: 'origin port' }),
  edgePort: fields.int('edge-port', 8081, { env: 'EDGE_PORT', min: 1, max: 65535, help: 'first edge port (others follow)' }),
  routerPort: fields.int('router-port', 8000, { env: 'ROUTER_PORT', min: 1, max: 65535, help: 'router port' }),
  edgeWorkers: fields.int('edge-workers', 1, { env: 'EDGE_WORKERS', min: 1, max: 64, help: 'workers per edge' }),
  verbose: fields.bool('verbose', false, { help: 'show every request log line of every role' }),
  tls: fields.bool('tls', false, { env: 'EDGELINE_TLS', help: 'edges also serve HTTPS with a self-signed certificate (made once, kept in MEDIA/tls/)' }),
  apiToken: fields.optionalString('api-token', { env: 'ORIGIN_API_TOKEN', help: 'the origin\'s upload API token (default: a random one, printed)' }),
  edgeAdminToken: fields.optionalString('edge-admin-token', { env: 'EDGE_ADMIN_TOKEN', help: 'the edges\' admin token (default: a random one, printed)' }),
  routerAdminToken: fields.optionalString('router-admin-token', { env: 'ROUTER_ADMIN_TOKEN', help: 'the router\'s admin token (default: a random one, printed)' }),
  httpsPort: fields.int('https-port', 8443, { env: 'EDGE_HTTPS_PORT', min: 1, max: 65535, help: 'first edge HTTPS port with --tls (others follow)' }),
};

export interface UpPlan {
  readonly children: ChildSpec[];
  readonly originUrl: string;
  readonly edgeUrls: string[];
  /** With TLS: each edge's HTTPS URL, in the order of edgeUrls. */
  readonly edgeHttpsUrls: string[];
  readonly routerUrl: string | undefined;
}

/** Certificate and key files the edges serve HTTPS with, and the first edge's HTTPS port. */
export interface UpTls {
  readonly certPath: string;
  readonly keyPath: string;
  readonly httpsPort: number;
}

/** The bearer tokens of the roles `up` starts: given ones are kept, missing ones made here. */
export interface UpTokens {
  readonly originApi: string;
  readonly edgeAdmin: string;
  readonly routerAdmin: string;
}

/** 24 random bytes, URL-safe: a bearer token nobody guesses (RFC 6750 token68 characters only). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function upTokens(given: { apiToken: string | undefined; edgeAdminToken: string | undefined; routerAdminToken: string | undefined }): UpTokens {
  return { originApi: given.apiToken ?? newToken(), edgeAdmin: given.edgeAdminToken ?? newToken(), routerAdmin: given.routerAdminToken ?? newToken() };
}

/** What `up` will start, as a pure function of its settings (tested without starting anything). */
export function planUp(c: { edges: number; regions: readonly string[]; live: boolean; router: boolean; media: string; redisUrl: string | undefined; originPort: number; edgePort: number; routerPort: number; edgeWorkers: number; tls?: UpTls | undefined; tokens?: UpTokens | undefined }): UpPlan {
  const originUrl = `http://127.0.0.1:${c.originPort}`;
  const children: ChildSpec[] = [];
  const originArgs = ['origin', '--port', String(c.originPort), '--media', c.media];
  if (c.live) originArgs.push('--live', 'live=sample');
  // Tokens go in the environment, not the arguments, so `ps` does not show them.
  children.push({ name: 'origin', args: originArgs, ...(c.tokens ? { env: { ORIGIN_API_TOKEN: c.tokens.originApi } } : {}) });
  const edgeUrls: string[] = [];
  const edgeHttpsUrls: string[] = [];
  for (let i = 0; i < c.edges; i++) {
    const port = c.edgePort + i;
    const region = c.regions[i % c.regions.length] ?? 'local';
    const args = ['edge', '--port', String(port), '--origin', originUrl, '--id', `edge-${i + 1}`, '--region', region, '--workers', String(c.edgeWorkers)];
    // Said outright: an edge without --redis falls back to its default Redis (127.0.0.1:6379) and, when that one is up,
    // would join a shared tier `up` just said it runs without. REDIS_CLUSTER_NODES still wins in the edge.
    args.push('--redis', c.redisUrl ?? 'none');
    if (c.tls) {
      args.push('--tls-cert', c.tls.certPath, '--tls-key', c.tls.keyPath, '--https-port', String(c.tls.httpsPort + i));
      edgeHttpsUrls.push(`https://127.0.0.1:${c.tls.httpsPort + i}`);
    }
    children.push({ name: `edge-${i + 1}`, args, ...(c.tokens ? { env: { EDGE_ADMIN_TOKEN: c.tokens.edgeAdmin } } : {}) });
    edgeUrls.push(`http://127.0.0.1:${port}`);
  }
  let routerUrl: string | undefined;
  if (c.router) {
    const args = ['router', '--port', String(c.routerPort)];
    edgeUrls.forEach((u, i) => args.push('--edge', `${u}#${c.regions[i % c.regions.length] ?? 'local'}`));
    if (c.redisUrl) args.push('--redis', c.redisUrl);
    children.push({ name: 'router', args, ...(c.tokens ? { env: { ROUTER_ADMIN_TOKEN: c.tokens.routerAdmin } } : {}) });
    routerUrl = `http://127.0.0.1:${c.routerPort}`;
  }
  return { children, originUrl, edgeUrls, edgeHttpsUrls, routerUrl };
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, 'edgeline up [options]', spec)) return 0;
  const { values: c } = loadConfig(spec, process.env, argv);
  const mediaDir = resolve(c.media);
  const out = (s: string): void => void process.stdout.write(`${s}\n`);

  const progress = createProgress('packaging sample');
  const sample = await ensureSample({ mediaDir, ffmpeg: resolveFfmpegPaths(process.env), onProgress: (p) => progress.update(p.percent, p.etaSeconds) });
  progress.stop();
  if (sample.packaged) out(`packaged the sample asset in ${(sample.elapsedMs / 1000).toFixed(1)} s`);

  // REDIS_CLUSTER_NODES reaches every child through the environment and wins over REDIS_URL there.
  const clusterNodes = process.env['REDIS_CLUSTER_NODES']?.trim();
  const hasRedis = clusterNodes ? false : await redisAnswers(c.redis);
  if (clusterNodes) out(`Redis Cluster from REDIS_CLUSTER_NODES (${clusterNodes}): the edges' shared tier and the router's edge registry.`);
  else if (!hasRedis) out(`Redis does not answer at ${c.redis}: edges run on their memory tier alone (no shared tier, no cross-edge collapsing or purge fan-out).`);

  let tls: UpTls | undefined;
  if (c.tls) {
    const pair = await ensureSelfSignedCertificate(join(mediaDir, 'tls'));
    tls = { certPath: pair.certPath, keyPath: pair.keyPath, httpsPort: c.httpsPort };
    out(`${pair.created ? 'made' : 'using'} a self-signed certificate for localhost/127.0.0.1 (${pair.certPath}, valid until ${pair.validTo.toISOString().slice(0, 10)}; SHA-256 ${pair.fingerprint})`);
  }

  const tokens = upTokens(c);
  const plan = planUp({ ...c, redisUrl: hasRedis ? c.redis : undefined, tls, tokens });
  const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? (c.verbose ? 'info' : 'warn') };
  // One Ctrl-C (or SIGTERM) stops every role with SIGTERM and waits for them; a second Ctrl-C kills them at once.
  // A role in a crash loop (a port in use, a bad setting) stops everything: a CDN without it is not "up".
  const shutdown = installShutdown({ deadlineMs: STOP_GRACE_MS + 2_000, onForce: () => supervisor.kill() });
  const supervisor = new RoleSupervisor({
    env,
    onGiveUp: (name) => {
      out(`${name} keeps dying right after it starts; stopping everything (its log lines above say why)`);
      void shutdown.begin(`${name} in a crash loop`, 1);
    },
  });
  shutdown.add({
    name: 'stop every role',
    run: async () => {
      out('\nstopping…');
      await supervisor.stop();
      out('stopped.');
    },
  });

  // The router starts last, so its first health checks find the edges up instead of logging them down.
  const router = plan.children.find((c) => c.name === 'router');
  const reportHealth = async (urls: string[]): Promise<void> => {
    const health = await Promise.all(urls.map((u) => waitHealthy(u, 30_000)));
    urls.forEach((u, i) => {
      if (!health[i]) out(`warning: ${u} did not answer /healthz within 30 s`);
    });
  };
  for (const child of plan.children) if (child !== router) supervisor.startRole(child);
  await reportHealth([plan.originUrl, ...plan.edgeUrls]);
  if (router && plan.routerUrl) {
    supervisor.startRole(router);
    await reportHealth([plan.routerUrl]);
  }

  const edge = plan.edgeUrls[0] ?? plan.originUrl;
  const player = (server: string, src: string): string => `${server}/player/?src=${encodeURIComponent(`${server}${src}`)}`;
  out('');
  out('Edgeline is up.');
  out(`  player through an edge   ${player(edge, '/vod/sample/master.m3u8')}`);
  out(`  player direct (origin)   ${player(plan.originUrl, '/vod/sample/master.m3u8')}`);
  if (plan.routerUrl) out(`  player through router    ${plan.routerUrl}/player/?src=${encodeURIComponent(`${plan.routerUrl}/vod/sample/master.m3u8`)}`);
  if (c.live) out(`  live channel via edge    ${player(edge, '/live/live/master.m3u8')}`);
  const secureEdge = plan.edgeHttpsUrls[0];
  if (secureEdge) out(`  player over HTTPS        ${player(secureEdge, '/vod/sample/master.m3u8')}   (self-signed: accept the browser's warning once)`);
  out(`  origin                   ${plan.originUrl}   (/healthz, /metrics, POST /api/assets)`);
  plan.edgeUrls.forEach((u, i) => out(`  edge-${i + 1}                   ${u}${plan.edgeHttpsUrls[i] ? `  ${plan.edgeHttpsUrls[i]}` : ''}   (/metrics)`));
  if (plan.routerUrl) out(`  router                   ${plan.routerUrl}   (/routing?asset=sample)`);
  // Printed so the operator can use them; given ones too, so what runs is never a guess.
  out(`  origin API token         ${tokens.originApi}   (Authorization: Bearer …; POST/GET /api/assets, GET /qoe/sessions)`);
  out(`  edge admin token         ${tokens.edgeAdmin}   (POST /_edge/invalidations, GET /qoe/sessions)`);
  if (plan.routerUrl) out(`  router admin token       ${tokens.routerAdmin}   (GET /qoe/sessions)`);
  out(`  try: curl -H "Authorization: Bearer ${tokens.originApi}" -F file=@video.mp4 ${plan.originUrl}/api/assets`);
  out(`  try: ffmpeg -i ${edge}/vod/sample/master.m3u8 -f null -`);
  out('Ctrl-C stops everything.');
  // Serve until a signal (or a crash loop): the shutdown exits the process.
  return new Promise<number>(() => undefined);
}
