// The edge's settings: flags, environment variables and defaults (flags win), validated together.
import { hostname } from 'node:os';
import { defaultsOf, fields, parseUrl, type ValuesOf } from '../core/config.ts';
import { RECORD_REGION } from '../core/edge-registry.ts';
import { ConfigError } from '../core/errors.ts';
import { originSecretProblem } from '../core/origin-auth.ts';
import { parseClusterNodes, type RedisTarget } from '../core/redis-target.ts';
import { DEFAULT_BEHAVIORS, MAX_PREFETCH_SEGMENTS, type CacheBehavior } from './behaviors.ts';
import { loadBehaviorsFile } from './behaviors-file.ts';
import { BEHAVIOR_PRESETS } from './behavior-presets.ts';
import { keyGroupField } from './cloudfront/key-group.ts';
import { parseTrustProxyEntry } from '../core/viewer-address.ts';

export const edgeFields = {
  port: fields.int('port', 8081, { env: 'PORT', min: 0, max: 65535, help: 'port to listen on' }),
  host: fields.string('host', '127.0.0.1', { env: 'HOST', help: 'address to listen on (0.0.0.0 for every interface)' }),
  origin: fields.list('origin', [], { env: 'ORIGIN_URL', item: parseUrl, help: 'origin URL; repeat for failover, tried in order' }),
  redis: fields.string('redis', 'redis://127.0.0.1:6379', { env: 'REDIS_URL', help: 'Redis URL for the shared tier; "none" runs on the memory tier alone' }),
  redisClusterNodes: fields.optionalString('redis-cluster', { env: 'REDIS_CLUSTER_NODES', help: 'Redis Cluster for the shared tier, host:port,host:port… (a few nodes suffice); used instead of --redis when set' }),
  redisPrefix: fields.string('redis-prefix', 'edgeline:', { env: 'REDIS_PREFIX', help: 'prefix of every Redis key and channel (shared with the router)' }),
  id: fields.string('id', '', { env: 'EDGE_ID', help: 'edge name in Via, heartbeats and logs (default: host name and port)' }),
  region: fields.string('region', 'local', { env: 'EDGE_REGION', help: 'region this edge serves' }),
  publicUrl: fields.optionalUrl('public-url', { env: 'EDGE_PUBLIC_URL', help: 'URL viewers reach this edge at (default http://127.0.0.1:<port>)' }),
  internalUrl: fields.optionalUrl('internal-url', { env: 'EDGE_INTERNAL_URL', help: 'URL routers reach this edge at, when it differs from --public-url (e.g. a container name)' }),
  memoryMb: fields.int('memory-mb', 256, { env: 'EDGE_MEMORY_MB', min: 0, help: 'memory tier size in MiB, shared by the workers; 0 disables it' }),
  maxObjectMb: fields.number('max-object-mb', 32, { env: 'EDGE_MAX_OBJECT_MB', min: 0.001, help: 'largest object stored in a cache tier, in MiB' }),
  adminToken: fields.optionalString('admin-token', { env: 'EDGE_ADMIN_TOKEN', help: 'bearer token for /_edge/ admin endpoints (unset: they are disabled)' }),
  shield: fields.optionalUrl('shield', { env: 'EDGE_SHIELD_URL', help: 'another edge used as a mid tier before the origin' }),
  workers: fields.int('workers', 0, { env: 'EDGE_WORKERS', min: 0, max: 256, help: 'worker processes; 0 means one per core' }),
  behaviors: fields.optionalString('behaviors', { env: 'EDGE_BEHAVIORS_FILE', help: 'cache behaviors file (JSON or YAML)' }),
  behaviorsPreset: fields.optionalString('behaviors-preset', { env: 'EDGE_BEHAVIORS_PRESET', help: 'built-in behaviors: "follow-origin" (any path, lifetimes from the origin\'s headers; after the file\'s behaviors)' }),
  originConnectTimeoutMs: fields.durationMs('origin-connect-timeout', 2_000, { env: 'EDGE_ORIGIN_CONNECT_TIMEOUT', help: 'connect timeout per upstream' }),
  originTimeoutMs: fields.durationMs('origin-timeout', 10_000, { env: 'EDGE_ORIGIN_TIMEOUT', help: 'time to the upstream response headers' }),
  originBodyTimeoutMs: fields.durationMs('origin-body-timeout', 30_000, { env: 'EDGE_ORIGIN_BODY_TIMEOUT', help: 'longest pause between upstream body chunks' }),
  originDownMs: fields.durationMs('origin-down-time', 5_000, { env: 'EDGE_ORIGIN_DOWN_TIME', help: 'how long a failed origin is tried last' }),
  redisTimeoutMs: fields.durationMs('redis-timeout', 250, { env: 'EDGE_REDIS_TIMEOUT', help: 'bound on each Redis lock or purge command, and on silence while an object moves' }),
  breakerThreshold: fields.int('redis-breaker-threshold', 5, { env: 'EDGE_REDIS_BREAKER_THRESHOLD', min: 1, help: 'consecutive Redis failures that open the circuit' }),
  breakerCooldownMs: fields.durationMs('redis-breaker-cooldown', 2_000, { env: 'EDGE_REDIS_BREAKER_COOLDOWN', help: 'how long Redis is skipped once the circuit opens' }),
  collapseWaitMs: fields.durationMs('collapse-wait', 5_000, { env: 'EDGE_COLLAPSE_WAIT', help: 'longest wait for another edge\'s fill before fetching ourselves' }),
  lockTtlMs: fields.durationMs('fill-lock-ttl', 15_000, { env: 'EDGE_FILL_LOCK_TTL', help: 'expiry of the cross-edge fill lock' }),
  heartbeatMs: fields.durationMs('heartbeat', 1_000, { env: 'EDGE_HEARTBEAT_INTERVAL', help: 'interval of heartbeats and purge catch-up' }),
  prefetchSegments: fields.int('prefetch-segments', 2, { env: 'EDGE_PREFETCH_SEGMENTS', min: 0, max: MAX_PREFETCH_SEGMENTS, help: 'segments fetched into the cache ahead of a viewer, after the one it fetched (cache behaviors may say otherwise); 0 turns prefetch off' }),
  accessLog: fields.bool('access-log', true, { env: 'EDGE_ACCESS_LOG', help: 'one info log line per viewer request' }),
  originSecret: fields.optionalString('origin-secret', { env: 'ORIGIN_SECRET', help: 'sign origin requests with this shared secret (origin access control)' }),
  signingKeys: keyGroupField('signing-key', 'EDGE_SIGNING_KEYS'),
  corsOrigins: fields.list('cors-origin', [], { env: 'EDGE_CORS_ORIGINS', item: parseCorsOrigin, help: 'page origin (https://www.example.com) allowed to read media with credentials (signed cookies); repeatable. Unset: any page, without credentials' }),
  signedUrlCookies: fields.bool('signed-url-cookies', true, { env: 'EDGE_SIGNED_URL_COOKIES', help: 'answer a playlist fetched with a wildcard custom-policy signed URL with the same policy as signed cookies, so its segments play' }),
  rateLimit: fields.number('rate-limit', 0, { env: 'EDGE_RATE_LIMIT', min: 0, help: 'requests per second per client on media paths; 0 turns limiting off' }),
  rateBurst: fields.int('rate-burst', 200, { env: 'EDGE_RATE_BURST', min: 1, help: 'requests a client may send at once before the rate applies' }),
  tlsCert: fields.optionalString('tls-cert', { env: 'EDGE_TLS_CERT', help: 'certificate chain (PEM file) to serve HTTPS' }),
  tlsKey: fields.optionalString('tls-key', { env: 'EDGE_TLS_KEY', help: 'private key (PEM file) of the certificate' }),
  httpsPort: fields.int('https-port', 8443, { env: 'EDGE_HTTPS_PORT', min: 0, max: 65535, help: 'HTTPS port when a certificate is given' }),
  trustProxy: fields.list('trust-proxy', [], { env: 'TRUST_PROXY', item: parseTrustProxyEntry, help: 'addresses or CIDRs of proxies in front of this edge (a router, a load balancer): their X-Forwarded-For / CloudFront-Viewer-Address and X-Forwarded-Proto are believed, so IP conditions, rate limits and https checks see the viewer. Unset: nobody\'s' }),
  player: fields.bool('player', true, { env: 'EDGE_PLAYER', help: 'serve the player page at /player/ and accept QoE beacons at /qoe' }),
};

export type EdgeConfig = ValuesOf<typeof edgeFields>;

/** A Web origin as browsers send it in the Origin header: scheme://host[:port], nothing after (RFC 6454 §6.1). */
function parseCorsOrigin(v: string): string {
  const m = /^(https?):\/\/([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?\/?$/i.exec(v.trim());
  if (!m) throw new Error(`expected a page origin such as https://www.example.com (no path), got "${v}"`);
  return `${(m[1] ?? '').toLowerCase()}://${(m[2] ?? '').toLowerCase()}${m[3] ?? ''}`;
}

/** What the edge runs with after defaults are resolved. */
export interface ResolvedEdgeSettings {
  readonly edgeId: string;
  readonly redisUrl: string | undefined;
  /** The shared tier: one Redis (`redisUrl`) or a Redis Cluster; undefined runs on the memory tier alone. */
  readonly redisTarget: RedisTarget | undefined;
  readonly memoryMaxBytes: number;
  readonly maxObjectBytes: number;
  readonly workers: number;
  readonly behaviors: readonly CacheBehavior[];
}

const EDGE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Checks that need more than one field or a file (the behaviors), and derived values. Throws one ConfigError
 * listing every problem.
 */
export function resolveEdgeSettings(
  config: EdgeConfig,
  env: { cores: number; workerCount?: number | undefined; behaviors?: readonly CacheBehavior[] | undefined },
): ResolvedEdgeSettings {
  const problems: string[] = [];
  let behaviors: readonly CacheBehavior[] = DEFAULT_BEHAVIORS;
  try {
    behaviors = env.behaviors ?? (config.behaviors ? loadBehaviorsFile(config.behaviors) : DEFAULT_BEHAVIORS);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (config.behaviorsPreset !== undefined && !env.behaviors) {
    const preset = BEHAVIOR_PRESETS[config.behaviorsPreset];
    if (!preset) problems.push(`EDGE_BEHAVIORS_PRESET (--behaviors-preset): expected one of ${Object.keys(BEHAVIOR_PRESETS).join(', ')}, got "${config.behaviorsPreset}"`);
    // The file's own behaviors (if any) first, then the preset, which covers every path.
    else behaviors = [...(config.behaviors ? behaviors.filter((b) => !DEFAULT_BEHAVIORS.includes(b)) : []), ...preset];
  }
  if (!config.signingKeys && behaviors.some((b) => b.requireSignature)) {
    problems.push('EDGE_SIGNING_KEYS (--signing-key): required, a cache behavior requires signed URLs or cookies');
  }
  const secretProblem = config.originSecret !== undefined ? originSecretProblem(config.originSecret) : undefined;
  if (secretProblem) problems.push(`ORIGIN_SECRET (--origin-secret): ${secretProblem}`);
  if (config.origin.length === 0) problems.push('ORIGIN_URL (--origin): required, at least one origin URL');
  const edgeId = config.id || `${hostname()}-${config.port}`;
  if (!EDGE_ID.test(edgeId)) problems.push(`EDGE_ID (--id): expected 1-64 letters, digits or ._:- , got "${edgeId}"`);
  // Routers skip a heartbeat whose region they would not accept (edge-registry-read.ts): refuse it here, at startup.
  if (!RECORD_REGION.test(config.region)) problems.push(`EDGE_REGION (--region): expected 1-64 letters, digits or _- , got "${config.region}"`);
  if (!/^[A-Za-z0-9._:{}-]{0,64}$/.test(config.redisPrefix)) problems.push(`REDIS_PREFIX (--redis-prefix): expected up to 64 letters, digits or ._:{}- , got "${config.redisPrefix}"`);
  let redisUrl: string | undefined = config.redis.trim();
  if (redisUrl === '' || redisUrl === 'none') redisUrl = undefined;
  else if (!/^rediss?:\/\//.test(redisUrl)) problems.push(`REDIS_URL (--redis): expected redis://host:port or "none", got "${config.redis}"`);
  let redisTarget: RedisTarget | undefined = redisUrl ? { kind: 'single', url: redisUrl } : undefined;
  if (config.redisClusterNodes !== undefined && config.redisClusterNodes.trim() !== '') {
    try {
      redisTarget = parseClusterNodes(config.redisClusterNodes);
      redisUrl = undefined;
    } catch (err) {
      problems.push(`REDIS_CLUSTER_NODES (--redis-cluster): ${(err as Error).message}`);
    }
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) problems.push('EDGE_TLS_CERT / EDGE_TLS_KEY (--tls-cert, --tls-key): give both or neither');
  if (problems.length > 0) throw new ConfigError(problems);
  const workers = config.workers === 0 ? Math.max(1, env.cores) : config.workers;
  const share = Math.max(1, env.workerCount ?? 1);
  return {
    edgeId,
    redisUrl,
    redisTarget,
    memoryMaxBytes: Math.floor((config.memoryMb * 1024 * 1024) / share),
    maxObjectBytes: Math.floor(config.maxObjectMb * 1024 * 1024),
    workers,
    behaviors,
  };
}

/** Defaults with overrides, for tests: `testEdgeConfig({ origin: [url], redis: 'none' })`. */
export function testEdgeConfig(overrides: Partial<{ -readonly [K in keyof EdgeConfig]: EdgeConfig[K] }> = {}): EdgeConfig {
  return defaultsOf(edgeFields, { port: 0, accessLog: false, id: 'test-edge', ...overrides });
}
