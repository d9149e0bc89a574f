// `edgeline wan`: a shaping proxy in front of one server (e.g. between an edge and its origin), so distance can be measured on one machine.
import { fields, loadConfig } from '../../server/core/config.ts';
import { ConfigError } from '../../server/core/errors.ts';
import { installShutdown } from '../../server/core/process/shutdown.ts';
import { wantsHelp } from '../../server/cli/help.ts';
import { startWanProxy, WAN_INFO_PATH } from './wan-proxy.ts';
import { wanConfigFields } from './wan-shaper.ts';

const spec = {
  target: fields.url('target', '', { env: 'WAN_TARGET', help: 'the server behind the emulated WAN, e.g. http://127.0.0.1:8080 (required)' }),
  port: fields.int('port', 8090, { env: 'WAN_PORT', min: 0, max: 65535, help: 'port to listen on (0 = any free port)' }),
  host: fields.string('host', '127.0.0.1', { env: 'WAN_HOST', help: 'address to listen on' }),
  ...wanConfigFields,
};

const USAGE = 'edgeline wan --target URL [--port 8090] [--wan-rtt-ms 150] [--wan-bandwidth-mbps 20] [--wan-jitter-ms 0]';

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv, USAGE, spec)) return 0;
  const { values: c } = loadConfig(spec, process.env, argv);
  if (!c.target) throw new ConfigError(['WAN_TARGET (--target): required']);
  const proxy = await startWanProxy({ target: c.target, port: c.port, host: c.host, wan: { wanRttMs: c.wanRttMs, wanBandwidthMbps: c.wanBandwidthMbps, wanJitterMs: c.wanJitterMs } });
  const label = proxy.description.enabled ? proxy.description.label : 'WAN emulation off (pass-through)';
  process.stdout.write(`edgeline wan listening on ${proxy.url} → ${c.target} — ${label} (${proxy.url}${WAN_INFO_PATH} describes it)\n`);
  installShutdown({ steps: [{ name: 'close the proxy', run: () => proxy.close() }] });
  return new Promise<number>(() => undefined);
}
