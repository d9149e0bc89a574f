// `edgeline origin`: parse the origin's settings, start it, and stop it cleanly on SIGINT/SIGTERM.
import { loadConfig } from '../core/config.ts';
import { ffmpegSummary, resolveFfmpegPaths, untrustedInputProblem } from '../origin/ffmpeg/paths.ts';
import { listen } from '../core/listen.ts';
import { installShutdown } from '../core/process/shutdown.ts';
import { rootLogger } from '../core/log.ts';
import { createOriginMetrics } from '../origin/origin-metrics.ts';
import { createPlayerRouter } from '../core/player-routes.ts';
import { createQoeRouter } from '../core/qoe/qoe-routes.ts';
import { createOriginApp } from '../origin/origin-app.ts';
import { originFields } from '../origin/origin-config.ts';
import { wantsHelp } from './help.ts';

const USAGE = 'edgeline origin [--port 8080] [--media DIR] [--live NAME=SOURCE ...] [options]';

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, originFields)) return 0;
  const { values: config } = loadConfig(originFields, process.env, argv);
  const logger = rootLogger.child({ role: 'origin' });
  // Children (ffmpeg, ffprobe) get the whole environment; flags win over FFMPEG_PATH / FFPROBE_PATH.
  const ffmpeg = resolveFfmpegPaths({
    ...process.env,
    ...(config.ffmpegPath ? { FFMPEG_PATH: config.ffmpegPath } : {}),
    ...(config.ffprobePath ? { FFPROBE_PATH: config.ffprobePath } : {}),
  });
  const metrics = createOriginMetrics();
  const origin = createOriginApp(config, {
    logger,
    ffmpeg,
    metrics,
    // The player page and its QoE beacons, so "direct from the origin" can be measured like "through an edge".
    extraRouters: [createPlayerRouter({ logger, loadAtStartup: true }), createQoeRouter({ registry: metrics.registry, role: 'origin', logger, readToken: config.apiToken, readTokenSetting: 'ORIGIN_API_TOKEN (--api-token)' }).router],
    // ORIGIN_SECRET (origin access control) is applied by createOriginApp itself, so no embedding can forget it.
    healthDetails: () => ({ originAccessControl: config.originSecret.length > 0 }),
  });
  await origin.start();
  const server = await listen(origin.app, { port: config.port, host: config.host }).catch(async (err: unknown) => {
    await origin.close();
    throw err;
  });
  logger.info({ url: server.url, mediaDir: origin.mediaDir }, 'origin listening');
  process.stdout.write(`edgeline origin listening on ${server.url} (media: ${origin.mediaDir})\n`);
  const tool = ffmpegSummary(ffmpeg);
  process.stdout.write(`ffmpeg: ${tool.path} (${tool.source}; ${tool.version})${untrustedInputProblem(ffmpeg) ? ' — uploads refused: too old for files from strangers' : ''}\n`);
  if (!config.apiToken) process.stdout.write('upload API off: no --api-token (ORIGIN_API_TOKEN) set, so /api/ answers 403\n');
  // Stop taking requests first, then stop ffmpeg children and running jobs (re-queued for the next start).
  installShutdown({
    logger,
    steps: [
      { name: 'close the HTTP server', run: () => server.close() },
      { name: 'stop live channels and jobs', run: () => origin.close() },
    ],
  });
  // Serve until a signal arrives; the shutdown exits the process.
  return new Promise<number>(() => undefined);
}
