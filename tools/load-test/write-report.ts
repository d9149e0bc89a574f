// Writes {out}/report.json and the self-contained {out}/report.html.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtmlReport } from '../report/html-report.ts';
import { loadTestDocument } from './report-document.ts';
import type { LoadTestReport } from './report.ts';

/** reports/loadtest-2024-05-01T12-00-00 (colons are not portable in file names). */
export function defaultOutDir(now: Date): string {
  return join('reports', `loadtest-${now.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-')}`);
}

export async function writeReport(dir: string, report: LoadTestReport): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderHtmlReport(loadTestDocument(report)));
  return { json, html };
}
