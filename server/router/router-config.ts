// The router's settings: edges, Redis registry, region detection, health checking and overload spill-over.
import { ConfigError } from '../core/errors.ts';
import { fields, parseUrl, type Field, type ValuesOf } from '../core/config.ts';
import { parseClusterNodes, type RedisTarget } from '../core/redis-target.ts';
import { normalizeRegion, parseCidrMap, type CidrRule } from './region.ts';
import { parseTrustProxyEntry } from '../core/viewer-address.ts';

/** An edge named on the command line: `URL#region` (the region may also come from the edge's heartbeat). */
export interface EdgeSeed {
  readonly url: string;
  readonly region: string | undefined;
}

export function parseEdgeSeed(raw: string): EdgeSeed {
  const hash = raw.indexOf('#');
  const url = parseUrl(hash === -1 ? raw : raw.slice(0, hash));
  if (hash === -1) return { url, region: undefined };
  const region = normalizeRegion(raw.slice(hash + 1));
  if (!region) throw new Error(`edge "${raw}": region after # must be 1-64 of A-Z a-z 0-9 _ -`);
  return { url, region };
}

function edgeList(flag: string, opts: { env: string; help: string }): Field<readonly EdgeSeed[]> {
  return {
    flag,
    env: opts.env,
    help: opts.help,
    default: [],
    multiple: true,
    isSwitch: false,
    parse: (raw) => raw.flatMap((r) => r.split(',')).map((s) => s.trim()).filter(Boolean).map(parseEdgeSeed),
  };
}

function cidrMap(flag: string, opts: { env: string; help: string }): Field<readonly CidrRule[]> {
  return { flag, env: opts.env, help: opts.help, default: [], multiple: false, isSwitch: false, parse: (raw) => parseCidrMap(raw[raw.length - 1] ?? '') };
}

function redisUrl(flag: string, opts: { env: string; help: string }): Field<string | undefined> {
  return {
    flag,
    env: opts.env,
    help: opts.help,
    default: undefined,
    multiple: false,
    isSwitch: false,
    parse: (raw) => {
      const v = (raw[raw.length - 1] ?? '').trim();
      if (v === '') return undefined;
      if (!/^rediss?:\/\/[^\s]+$/.test(v)) throw new Error(`expected a redis:// or rediss:// URL, got "${v}"`);
      return v;
    },
  };
}

export const routerFields = {
  port: fields.int('port', 8000, { env: 'PORT', min: 0, max: 65535, help: 'port to listen on' }),
  host: fields.string('host', '127.0.0.1', { env: 'HOST', help: 'address to listen on (0.0.0.0 for all)' }),
  edges: edgeList('edge', { env: 'ROUTER_EDGES', help: 'an edge, URL[#region] (repeatable; env comma-separated)' }),
  redis: redisUrl('redis', { env: 'REDIS_URL', help: 'Redis where edges publish heartbeats (optional)' }),
  redisClusterNodes: fields.optionalString('redis-cluster', { env: 'REDIS_CLUSTER_NODES', help: 'Redis Cluster where edges publish heartbeats, host:port,host:port… (used instead of --redis when set)' }),
  redisPrefix: fields.string('redis-prefix', 'edgeline:', { env: 'REDIS_PREFIX', help: 'key prefix shared with the edges' }),
  regionHeader: fields.string('region-header', 'X-Viewer-Region', { env: 'ROUTER_REGION_HEADER', help: 'trusted header naming the viewer region ("" to ignore)' }),
  regionParam: fields.string('region-param', 'region', { env: 'ROUTER_REGION_PARAM', help: 'query parameter naming the viewer region ("" to ignore)' }),
  cidrMap: cidrMap('cidr-map', { env: 'ROUTER_CIDR_MAP', help: 'client address ranges to regions: FILE or "10.0.0.0/8=eu,..."' }),
  defaultRegion: fields.optionalString('default-region', { env: 'ROUTER_DEFAULT_REGION', help: 'region of viewers nothing else places (else: any edge)' }),
  healthIntervalMs: fields.durationMs('health-interval', 1_000, { env: 'ROUTER_HEALTH_INTERVAL', help: 'how often each edge /healthz is checked' }),
  healthTimeoutMs: fields.durationMs('health-timeout', 800, { env: 'ROUTER_HEALTH_TIMEOUT', help: 'timeout of one check (capped at the interval)' }),
  downAfterMs: fields.durationMs('down-after', 3_000, { env: 'ROUTER_DOWN_AFTER', help: 'an edge silent this long is dropped' }),
  overloadThreshold: fields.number('overload-threshold', 0, { env: 'ROUTER_OVERLOAD_THRESHOLD', min: 0, help: 'edge load (active requests) above which assets spill to the next edge; 0 = off' }),
  routeSegments: fields.bool('route-segments', true, { env: 'ROUTER_ROUTE_SEGMENTS', help: 'redirect segment requests too, not only playlists' }),
  vnodes: fields.int('vnodes', 160, { env: 'ROUTER_VNODES', min: 1, max: 4096, help: 'virtual nodes per edge on the hash ring' }),
  adminToken: fields.optionalString('admin-token', { env: 'ROUTER_ADMIN_TOKEN', help: 'bearer token for reading QoE sessions (GET /qoe/sessions); unset: nobody may read them' }),
  trustProxy: fields.list('trust-proxy', [], { env: 'TRUST_PROXY', item: parseTrustProxyEntry, help: 'addresses or CIDRs of proxies in front of the router: the right-most untrusted X-Forwarded-For entry is the viewer. Unset: the socket peer is' }),
  steering: fields.bool('steering', true, { env: 'ROUTER_STEERING', help: 'serve master playlists with one content-steering pathway per edge (--no-steering: 302 them like other paths)' }),
  steeringTtlMs: fields.durationMs('steering-ttl', 5_000, { env: 'ROUTER_STEERING_TTL', help: 'TTL of steering manifests: how soon players learn that an edge went down (whole seconds, at least 1 s)' }),
  steeringPathways: fields.int('steering-pathways', 4, { env: 'ROUTER_STEERING_PATHWAYS', min: 1, max: 32, help: 'edges (pathways) listed in each master playlist, best first' }),
  masterTimeoutMs: fields.durationMs('master-timeout', 3_000, { env: 'ROUTER_MASTER_TIMEOUT', help: 'timeout of fetching a master playlist from one edge before trying the next' }),
};

export type RouterConfig = ValuesOf<typeof routerFields>;

/** Where the edge registry lives: the cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL, else nowhere. */
export function registryTarget(c: Pick<RouterConfig, 'redis' | 'redisClusterNodes'>): RedisTarget | undefined {
  if (c.redisClusterNodes !== undefined && c.redisClusterNodes.trim() !== '') return parseClusterNodes(c.redisClusterNodes);
  return c.redis ? { kind: 'single', url: c.redis } : undefined;
}

/** A check never outlives the interval, so rounds cannot pile up. */
export function effectiveHealthTimeoutMs(c: Pick<RouterConfig, 'healthIntervalMs' | 'healthTimeoutMs'>): number {
  return Math.max(1, Math.min(c.healthTimeoutMs, c.healthIntervalMs));
}

/** Rules between settings, which loadConfig (one field at a time) cannot see. */
export function checkRouterConfig(c: RouterConfig): RouterConfig {
  const problems: string[] = [];
  if (c.healthIntervalMs < 10) problems.push(`ROUTER_HEALTH_INTERVAL (--health-interval): expected at least 10ms, got ${c.healthIntervalMs}ms`);
  const minDown = c.healthIntervalMs + effectiveHealthTimeoutMs(c);
  // A healthy edge is confirmed once per interval (+ the check's own time); a shorter window would drop it between checks.
  if (c.downAfterMs < minDown) {
    problems.push(`ROUTER_DOWN_AFTER (--down-after): must be at least --health-interval + --health-timeout (${minDown}ms), got ${c.downAfterMs}ms`);
  }
  if (c.defaultRegion !== undefined && !normalizeRegion(c.defaultRegion)) {
    problems.push(`ROUTER_DEFAULT_REGION (--default-region): must be 1-64 of A-Z a-z 0-9 _ -, got "${c.defaultRegion}"`);
  }
  if (c.regionHeader !== '' && !/^[A-Za-z0-9-]{1,64}$/.test(c.regionHeader)) {
    problems.push(`ROUTER_REGION_HEADER (--region-header): must be a header name, got "${c.regionHeader}"`);
  }
  if (c.redisClusterNodes !== undefined && c.redisClusterNodes.trim() !== '') {
    try {
      parseClusterNodes(c.redisClusterNodes);
    } catch (err) {
      problems.push(`REDIS_CLUSTER_NODES (--redis-cluster): ${(err as Error).message}`);
    }
  }
  if (c.steeringTtlMs < 1_000) problems.push(`ROUTER_STEERING_TTL (--steering-ttl): expected at least 1s (steering manifests count TTL in whole seconds), got ${c.steeringTtlMs}ms`);
  if (c.masterTimeoutMs < 10) problems.push(`ROUTER_MASTER_TIMEOUT (--master-timeout): expected at least 10ms, got ${c.masterTimeoutMs}ms`);
  if (problems.length > 0) throw new ConfigError(problems);
  return c;
}
