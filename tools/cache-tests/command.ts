// `edgeline cache-tests`: the public HTTP cache test suite (npm http-cache-tests) against a real edge, results as JSON.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fields, loadConfig } from '../../server/core/config.ts';
import { ConfigError } from '../../server/core/errors.ts';
import { deleteKeysWithPrefix, freePort } from '../../server/cli/local-probes.ts';
import { wantsHelp } from '../../server/cli/help.ts';
import { startChild, stopAll, waitReady } from '../bench/processes.ts';
import { summarise, summaryText } from './summary.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root: this file runs from tools/cache-tests (tsx) or dist/tools/cache-tests (built). */
const ROOT = HERE.includes(`${join('dist', 'tools')}`) ? resolve(HERE, '../../..') : resolve(HERE, '../..');

const spec = {
  behaviors: fields.string('behaviors', join(ROOT, 'tools/cache-tests/behaviors.yaml'), { env: 'CACHE_TESTS_BEHAVIORS', help: 'behaviors file the edge runs with' }),
  out: fields.string('out', join(ROOT, 'reports', 'cache-tests'), { env: 'CACHE_TESTS_OUT', help: 'folder for results.json and summary.txt' }),
  redis: fields.string('redis', 'redis://127.0.0.1:6379', { env: 'REDIS_URL', help: 'Redis for the edge ("none": memory tier only); keys under a fresh prefix, deleted afterwards' }),
  id: fields.string('id', '', { env: 'CACHE_TESTS_ID', help: 'run one test id only (prints the suite\'s request/response dump)' }),
};

const USAGE = 'edgeline cache-tests [--behaviors FILE] [--out DIR] [--redis URL|none] [--id TEST-ID]';

function suiteDir(): string {
  const require = createRequire(join(ROOT, 'package.json'));
  try {
    return dirname(require.resolve('http-cache-tests/package.json'));
  } catch {
    throw new ConfigError(['http-cache-tests is not installed: run npm ci in a full checkout (it is a devDependency)']);
  }
}

/** Runs the suite's CLI client; its stdout is the results JSON. */
function runClient(dir: string, base: string, id: string): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const env = { ...process.env, npm_config_base: base, npm_config_id: id, npm_package_config_id: id, npm_package_config_base: base };
    const proc = spawn(process.execPath, ['--no-warnings', 'cli.mjs'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', reject);
    proc.once('close', (code) => (code === 0 ? resolveRun(out) : reject(new Error(`the suite's client exited with ${code}`))));
  });
}

interface SuiteTest {
  readonly id: string;
}
interface SuiteModules {
  readonly tests: ReadonlyArray<{ readonly tests: readonly SuiteTest[] }>;
  readonly determineTestResult: (suites: unknown, id: string, results: unknown, honorDependencies: boolean) => readonly string[];
}

async function loadSuite(dir: string): Promise<SuiteModules> {
  const tests = ((await import(pathToFileURL(join(dir, 'tests/index.mjs')).href)) as { default: Array<{ tests: SuiteTest[] }> }).default;
  const surrogate = ((await import(pathToFileURL(join(dir, 'tests/surrogate-control.mjs')).href)) as { default: { tests: SuiteTest[] } }).default;
  const display = (await import(pathToFileURL(join(dir, 'lib/display.mjs')).href)) as Pick<SuiteModules, 'determineTestResult'>;
  // cli.mjs runs the surrogate-control tests too.
  return { tests: [...tests, surrogate], determineTestResult: display.determineTestResult };
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, spec)) return 0;
  const { values: c } = loadConfig(spec, process.env, argv);
  const dir = suiteDir();
  const work = mkdtempSync(join(tmpdir(), 'edgeline-cache-tests-'));
  const prefix = `cache-tests-${randomBytes(4).toString('hex')}:`;
  try {
    const serverPort = await freePort();
    const edgePort = await freePort();
    const server = startChild({
      name: 'suite server',
      command: process.execPath,
      args: ['--no-warnings', 'server/server.mjs'],
      cwd: dir,
      logFile: join(work, 'server.log'),
      env: { ...process.env, npm_config_port: String(serverPort), npm_config_protocol: 'http', npm_config_pidfile: join(work, 'server.pid') },
    });
    await waitReady(server, `http://127.0.0.1:${serverPort}/index.html`);
    const edge = startChild({
      name: 'edge',
      command: process.execPath,
      args: [join(ROOT, 'bin/edgeline.js'), 'edge', '--origin', `http://127.0.0.1:${serverPort}`, '--port', String(edgePort), '--workers', '1', '--id', 'cache-tests', '--behaviors', c.behaviors, '--redis', c.redis, '--redis-prefix', prefix],
      logFile: join(work, 'edge.log'),
      env: { ...process.env, EDGE_ACCESS_LOG: 'false' },
    });
    await waitReady(edge, `http://127.0.0.1:${edgePort}/healthz`);
    const base = `http://127.0.0.1:${edgePort}`;
    const stdout = await runClient(dir, base, c.id);
    if (c.id) {
      process.stdout.write(stdout);
      return 0;
    }
    const raw = JSON.parse(stdout) as Record<string, unknown>;
    const suite = await loadSuite(dir);
    const ids = suite.tests.flatMap((s) => s.tests.map((t) => t.id));
    const summary = summarise(ids, raw, (id) => suite.determineTestResult(suite.tests, id, raw, true)[2] ?? '-');
    mkdirSync(c.out, { recursive: true });
    writeFileSync(join(c.out, 'results.json'), `${JSON.stringify(raw, null, 2)}\n`);
    writeFileSync(join(c.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const text = summaryText(summary);
    writeFileSync(join(c.out, 'summary.txt'), `${text}\n`);
    process.stdout.write(`${text}\n\nwritten: ${join(c.out, 'results.json')}, summary.json, summary.txt\n`);
    return 0;
  } finally {
    await stopAll();
    if (c.redis !== 'none') {
      await deleteKeysWithPrefix(c.redis, prefix).catch(() => 0);
    }
    rmSync(work, { recursive: true, force: true });
  }
}
