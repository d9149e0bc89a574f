// `edgeline router`: send each viewer to a healthy edge of its region, by a consistent hash of the asset.
import { loadConfig } from '../core/config.ts';
import { listen } from '../core/listen.ts';
import { installShutdown } from '../core/process/shutdown.ts';
import { rootLogger } from '../core/log.ts';
import { describeRedisTarget } from '../core/redis-target.ts';
import { createRouterApp } from '../router/router-app.ts';
import { checkRouterConfig, registryTarget, routerFields } from '../router/router-config.ts';
import { wantsHelp } from './help.ts';

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, 'edgeline router [--port 8000] [--edge URL[#region] ...] [--redis URL] [options]', routerFields)) return 0;
  const config = checkRouterConfig(loadConfig(routerFields, process.env, argv).values);
  const registry = registryTarget(config);
  if (config.edges.length === 0 && !registry) {
    process.stderr.write('edgeline router: no edges: pass --edge URL[#region] (or ROUTER_EDGES) and/or --redis URL (or --redis-cluster) where edges register\n');
    return 1;
  }
  const router = createRouterApp(config);
  const listening = await listen(router.app, { port: config.port, host: config.host });
  rootLogger.info({ url: listening.url, edges: config.edges.length, registry: registry ? describeRedisTarget(registry) : 'off' }, 'router listening');
  process.stdout.write(`router listening on ${listening.url} (${config.edges.length} configured edge(s)${registry ? `, registry in Redis (${describeRedisTarget(registry)})` : ''}); ${listening.url}/routing?asset=sample explains decisions\n`);
  installShutdown({
    logger: rootLogger.child({ role: 'router' }),
    steps: [
      { name: 'close the HTTP server', run: () => listening.close() },
      { name: 'stop health checks and the registry', run: () => router.close() },
    ],
  });
  // Serve until a signal arrives; the shutdown exits the process.
  return new Promise<number>(() => undefined);
}
