// Shared by the origin integration tests: a temp media folder, one packaged clip, raw HTTP requests that keep the path verbatim.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageAsset } from '../../server/origin/packaging/packager.ts';
import type { PackagedAsset } from '../../server/origin/packaging/types.ts';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';

export interface TempDir {
  readonly dir: string;
  cleanup(): void;
}

export function tempDir(prefix = 'edgeline-origin-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Package a short 320x240 clip as asset `id` with a single small rendition and 2 s segments. */
export async function packageClip(mediaDir: string, id: string, seconds = 4): Promise<PackagedAsset> {
  const input = await makeClip({ seconds, width: 320, height: 240 });
  return packageAsset({ input, id, mediaDir, ladder: ['240p'], segmentSeconds: 2, ffmpeg: ffmpegPaths, preset: 'ultrafast' });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** GET/HEAD/… with the request target sent exactly as given (no URL normalisation, no decompression). */
export function rawRequest(baseUrl: string, target: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method: opts.method ?? 'GET', path: target, headers: opts.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
