// The comparison's floor: the packaged files served by a plain static server on this machine (no CDN, no WAN, no
// packaging logic), with the player page and a QoE receiver so its sessions are measured like every other arm's.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { Registry } from 'prom-client';
import { createPlayerRouter } from '../../server/core/player-routes.ts';
import { createQoeRouter } from '../../server/core/qoe/qoe-routes.ts';

export interface FloorServer {
  readonly url: string;
  /** Reads the floor's QoE sessions back (GET /qoe/sessions/{id}). */
  readonly readToken: string;
  close(): Promise<void>;
}

/** express.static (serve-static: Range, ETag, Last-Modified) over {mediaDir}/hls at /vod, on 127.0.0.1:{free port}. */
export async function startFloorServer(mediaDir: string): Promise<FloorServer> {
  const readToken = randomBytes(18).toString('hex');
  const app = express();
  app.disable('x-powered-by');
  app.use(createPlayerRouter({ loadAtStartup: true }));
  app.use(createQoeRouter({ registry: new Registry(), role: 'origin', readToken, readTokenSetting: 'the comparison\'s floor server' }).router);
  // The same freshness the origin gives VOD files would only matter to a cache; the browser revalidates nothing in a session.
  app.use('/vod', express.static(join(mediaDir, 'hls'), { index: false, dotfiles: 'deny', fallthrough: false }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    readToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
