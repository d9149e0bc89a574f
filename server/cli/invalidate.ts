// `edgeline invalidate PATH… --edge URL`: purge paths (exact, or prefixes ending in *) from every edge, optionally wait.
import { fields, loadConfig, parseUrl } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { wantsHelp } from './help.ts';

const USAGE = 'edgeline invalidate PATH… --edge URL [--token T] [--wait] [--timeout 30s]   (PATH: /vod/abc/master.m3u8 or /vod/abc/*)';

export const invalidateFields = {
  edge: fields.url('edge', 'http://127.0.0.1:8081', { env: 'EDGE_URL', help: 'any edge sharing Redis with the others' }),
  token: fields.optionalString('token', { env: 'EDGE_ADMIN_TOKEN', help: 'admin bearer token of the edges' }),
  wait: fields.bool('wait', false, { help: 'wait until every live edge has applied the purge' }),
  timeoutMs: fields.durationMs('timeout', 30_000, { help: 'how long --wait waits' }),
};

interface Created {
  id?: unknown;
  status?: unknown;
  error?: unknown;
  message?: unknown;
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, invalidateFields)) return 0;
  const { values: c, positionals } = loadConfig(invalidateFields, process.env, argv, { positionals: { min: 1, max: 1000, name: 'PATH' } });
  if (!c.token) throw new ConfigError(['EDGE_ADMIN_TOKEN (--token): required, the admin token the edges were started with']);
  parseUrl(c.edge);
  const headers = { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' };
  const res = await fetch(`${c.edge}/_edge/invalidations`, { method: 'POST', headers, body: JSON.stringify({ paths: positionals }), signal: AbortSignal.timeout(15_000) });
  const body = (await res.json().catch(() => ({}))) as Created;
  if (res.status !== 201) {
    process.stderr.write(`edgeline invalidate: ${res.status} ${String(body.error ?? '')}: ${String(body.message ?? res.statusText)}\n`);
    if (typeof body.id === 'string') process.stderr.write(`(invalidation ${body.id} was applied to ${c.edge} only)\n`);
    return 1;
  }
  const id = String(body.id);
  process.stdout.write(`invalidation ${id}: ${positionals.length} path(s) submitted through ${c.edge}\n`);
  if (!c.wait) {
    process.stdout.write(`status: GET ${c.edge}/_edge/invalidations/${id}\n`);
    return 0;
  }
  const deadline = Date.now() + c.timeoutMs;
  for (;;) {
    const s = await fetch(`${c.edge}/_edge/invalidations/${id}`, { headers, signal: AbortSignal.timeout(5_000) });
    const status = (await s.json().catch(() => ({}))) as { status?: unknown; edges?: Array<{ edge?: unknown; applied?: unknown }> };
    if (status.status === 'Completed') {
      process.stdout.write(`completed on ${status.edges?.length ?? 0} edge process(es)\n`);
      return 0;
    }
    if (Date.now() > deadline) {
      const waiting = (status.edges ?? []).filter((e) => e.applied !== true).map((e) => String(e.edge));
      process.stderr.write(`edgeline invalidate: still in progress after ${c.timeoutMs} ms; waiting for ${waiting.join(', ') || 'unknown edges'}\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
