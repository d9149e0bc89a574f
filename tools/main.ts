// The instruments' commands (`edgeline loadtest`, `edgeline compare`, …): found by bin/edgeline.js, never by the roles.
import type { CommandTable } from '../server/main.ts';

export const TOOL_COMMANDS: CommandTable = {
  loadtest: { load: () => import('./load-test/command.ts'), summary: 'simulated viewers against an edge' },
  compare: { load: () => import('./compare/command.ts'), summary: 'direct vs cached playback in a real browser' },
  wan: { load: () => import('./wan/command.ts'), summary: 'a shaping proxy (RTT, bandwidth) in front of a server, e.g. the origin' },
  faults: { load: () => import('./faults/command.ts'), summary: 'inject faults (Redis, origin, edge, ffmpeg, slow-loris) into a loopback stack under load' },
  'cache-tests': { load: () => import('./cache-tests/command.ts'), summary: 'the public HTTP cache test suite (http-cache-tests) against an edge' },
  bench: { load: () => import('./bench/command.ts'), summary: 'the edge against nginx, Varnish and a node:http ceiling' },
};
