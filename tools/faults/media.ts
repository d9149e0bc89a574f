// The suite's media: a 20 s generated clip (tools/media/clip.ts) packaged twice by the real `edgeline package`.
import { join } from 'node:path';
import { BIN_PATH } from '../../server/core/package-root.ts';
import { runCommand } from '../bench/processes.ts';
import { makeClip } from '../media/clip.ts';
import { PROBE_ASSET, VIEWER_ASSET } from './fault-kit.ts';

export async function prepareMedia(mediaDir: string): Promise<void> {
  const clip = await makeClip({ seconds: 20 });
  for (const id of [VIEWER_ASSET, PROBE_ASSET]) {
    const args = [BIN_PATH, 'package', clip, '--id', id, '--ladder', '240p', '--segment-seconds', '2', '--media', mediaDir, '--preset', 'ultrafast', '--force'];
    const r = await runCommand(process.execPath, args, 120_000);
    if (r.code !== 0) throw new Error(`fault suite: edgeline package ${id} failed (${r.code}):\n${r.output.trim().split('\n').slice(-8).join('\n')}`);
  }
}

export function assetDir(mediaDir: string, id: string): string {
  return join(mediaDir, 'hls', id);
}
