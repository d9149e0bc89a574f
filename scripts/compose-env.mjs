#!/usr/bin/env node
// `npm run compose:env`: writes the secrets docker-compose.yml requires into .env (random, 0600), keeping any already set.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Every variable docker-compose.yml marks required (${VAR:?…}); test/unit/deploy/compose.test.ts keeps the two lists equal. */
export const COMPOSE_SECRETS = ['ORIGIN_SECRET', 'EDGE_ADMIN_TOKEN', 'ORIGIN_API_TOKEN', 'GRAFANA_ADMIN_PASSWORD'];

function main(path = '.env') {
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const isSet = (name) => new RegExp(`^${name}=.+`, 'm').test(existing);
  const added = COMPOSE_SECRETS.filter((name) => !isSet(name));
  const lines = added.map((name) => `${name}=${randomBytes(32).toString('hex')}`);
  if (lines.length > 0) writeFileSync(path, `${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  process.stdout.write(added.length > 0 ? `${path}: wrote ${added.join(', ')}${existing ? ' (kept the others)' : ''}\n` : `${path}: every secret is already set; nothing changed\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv[2]);
