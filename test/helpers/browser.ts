// Debian's chromium driven by playwright-core for browser tests: headless, a fresh profile, nothing downloaded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  /** Close the browser and remove its profile. */
  close(): Promise<void>;
}

/** Launch chromium with a fresh user-data-dir; page console errors go to stderr when EDGELINE_BROWSER_DEBUG is set. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'edgeline-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 700 },
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  const debug = process.env['EDGELINE_BROWSER_DEBUG'] !== undefined;
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      if (debug) {
        page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
        page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
      }
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
