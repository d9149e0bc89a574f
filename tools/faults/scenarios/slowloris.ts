// Slow-loris connections to the viewers' edge (headers sent a byte at a time, never finished): they cost the viewers
// nothing, and the edge cuts them at its 20 s header timeout.
import { connect, type Socket } from 'node:net';
import { check, viewerChecks, withinMs } from '../fault-result.ts';
import { VIEWER_ASSET, warmAsset, withViewers, type StackFault } from '../fault-kit.ts';
import { msUntil } from '../until.ts';

/** README: 20 s to send the headers, checked every second, so a slow-loris connection is cut 20-21 s in. */
const CUT_LIMIT_MS = 22_000;
const DRIP_MS = 2_000;

interface Loris {
  readonly socket: Socket;
  openedAt: number;
  closedAt: number | undefined;
}

function openLoris(port: number): Promise<Loris> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const loris: Loris = { socket, openedAt: performance.now(), closedAt: undefined };
    socket.once('connect', () => {
      loris.openedAt = performance.now();
      socket.write(`GET /vod/${VIEWER_ASSET}/master.m3u8 HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
      resolve(loris);
    });
    socket.once('error', (err) => {
      if (loris.closedAt === undefined && socket.connecting) reject(err);
    });
    socket.once('close', () => {
      loris.closedAt = performance.now();
    });
    socket.on('data', () => undefined); // a 408 or 400 before the close is fine
  });
}

export const slowloris: StackFault = {
  name: 'slowloris',
  title: "slow-loris connections to the viewers' edge",
  rule: `0 failed viewer requests and 0 stalls while the connections are open; every one is cut by the edge within ${CUT_LIMIT_MS} ms (20 s header timeout, checked every second)`,
  stack: 'vod',
  async run(ctx) {
    const { stack } = ctx;
    const count = ctx.quick ? 100 : 300;
    await warmAsset(stack.edges, VIEWER_ASSET);
    const edge = await stack.chosenEdge(VIEWER_ASSET);
    const run = await withViewers(ctx, `/vod/${VIEWER_ASSET}/master.m3u8`, async () => {
      const lorises = await Promise.all(Array.from({ length: count }, () => openLoris(edge.port)));
      ctx.say(`${count} slow-loris connections open to ${edge.name}, each sending a header byte every ${DRIP_MS / 1000} s`);
      const drip = setInterval(() => {
        for (const l of lorises) if (l.closedAt === undefined) l.socket.write('X');
      }, DRIP_MS);
      try {
        await msUntil(() => lorises.every((l) => l.closedAt !== undefined), 40_000, 200);
      } finally {
        clearInterval(drip);
        for (const l of lorises) l.socket.destroy();
      }
      const open = lorises.filter((l) => l.closedAt === undefined).length;
      const cuts = lorises.flatMap((l) => (l.closedAt === undefined ? [] : [l.closedAt - l.openedAt]));
      return { open, cutMinMs: cuts.length ? Math.min(...cuts) : undefined, cutMaxMs: cuts.length && open === 0 ? Math.max(...cuts) : undefined };
    });
    const { open, cutMinMs, cutMaxMs } = run.value;
    return {
      viewers: run.totals,
      events: run.events,
      faultAtMs: run.faultAtMs,
      recoveryMs: cutMaxMs ?? null,
      recoveryLabel: 'connection opened → the last one cut by the edge',
      figures: { connections: count, firstCutMs: cutMinMs === undefined ? null : Math.round(cutMinMs), lastCutMs: cutMaxMs === undefined ? null : Math.round(cutMaxMs), stillOpenAfter40s: open },
      checks: [
        ...viewerChecks(run.totals),
        check('every slow-loris connection was cut', open === 0, `${count - open} of ${count}`),
        withinMs('the last one was cut in time', cutMaxMs, CUT_LIMIT_MS),
      ],
    };
  },
};
