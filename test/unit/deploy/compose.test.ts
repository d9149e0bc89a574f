// docker-compose.yml's structure (no Docker engine needed): every role and the monitoring, no published origin, no placeholder secrets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../../server/core/package-root.ts';
import { COMPOSE_SECRETS } from '../../../scripts/compose-env.mjs';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

const text = readFileSync(join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(text) as { services: Record<string, Service> };
const services = compose.services;
const prometheus = parse(readFileSync(join(PACKAGE_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };

/** Every ${…} interpolation in the file, as compose would read it. */
const interpolations = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? '');

describe('docker-compose.yml', () => {
  it('runs Redis, the origin, two edges, the router, Prometheus and Grafana', () => {
    assert.deepEqual(Object.keys(services).sort(), ['edge-eu', 'edge-us', 'grafana', 'origin', 'prometheus', 'redis', 'router']);
  });

  it('publishes only the edges, the router and Grafana; never the origin', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name).sort();
    assert.deepEqual(published, ['edge-eu', 'edge-us', 'grafana', 'router']);
    assert.equal(services['origin']?.ports, undefined);
  });

  it('requires every secret (${VAR:?message}) and has no placeholder or default for any', () => {
    assert.doesNotMatch(text, /change-me/i);
    for (const expr of interpolations) assert.match(expr, /^[A-Z_]+:\?.+/, `\${${expr}} must be required (\${VAR:?message}), never defaulted`);
    const required = [...new Set(interpolations.map((e) => e.split(':')[0]))].sort();
    assert.deepEqual(required, [...COMPOSE_SECRETS].sort(), 'npm run compose:env writes exactly the variables compose requires');
    const secretVars: Record<string, string[]> = {
      origin: ['ORIGIN_SECRET', 'ORIGIN_API_TOKEN'],
      'edge-eu': ['ORIGIN_SECRET', 'EDGE_ADMIN_TOKEN'],
      'edge-us': ['ORIGIN_SECRET', 'EDGE_ADMIN_TOKEN'],
      grafana: ['GF_SECURITY_ADMIN_PASSWORD'],
    };
    for (const [name, vars] of Object.entries(secretVars)) {
      for (const v of vars) assert.match(services[name]?.environment?.[v] ?? '', /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name} ${v} comes from a required variable`);
    }
  });

  it('Prometheus scrapes every role at the port it listens on', () => {
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)).sort();
    const roles = ['origin', 'edge-eu', 'edge-us', 'router'];
    assert.deepEqual(targets, roles.map((r) => `${r}:${services[r]?.environment?.['PORT']}`).sort());
    assert.deepEqual(prometheus.scrape_configs.map((c) => c.job_name).sort(), ['edge', 'origin', 'router']);
  });

  it('Grafana gets the provisioned datasource and dashboard, read-only', () => {
    const volumes = services['grafana']?.volumes ?? [];
    assert.ok(volumes.includes('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro'));
    assert.ok(volumes.includes('./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro'));
    const datasource = parse(readFileSync(join(PACKAGE_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; url: string }> };
    const dashboard = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'deploy/grafana/dashboards/edgeline.json'), 'utf8')) as { panels: Array<{ datasource?: { uid: string } }> };
    assert.deepEqual(datasource.datasources.map((d) => d.url), ['http://prometheus:9090']);
    const uids = new Set(dashboard.panels.flatMap((p) => (p.datasource ? [p.datasource.uid] : [])));
    assert.deepEqual([...uids], [datasource.datasources[0]?.uid]);
  });
});
