// A TCP link to a real server that moves bytes at a set rate, or holds them: a Redis that is slow, or stops answering.
import net from 'node:net';

export interface SlowLink {
  /** `host:port` form for a URL: `redis://127.0.0.1:<port>`. */
  readonly port: number;
  /** Stop forwarding in both directions (the connections stay open); `flow()` resumes. */
  hold(): void;
  flow(): void;
  close(): Promise<void>;
}

/**
 * Listens on a free port and forwards each connection to `target`, at most `bytesPerSecond` each way per connection:
 * every chunk waits as long as the rate says before the next one is read.
 */
export async function startSlowLink(target: { host: string; port: number }, bytesPerSecond: number): Promise<SlowLink> {
  let held = false;
  const waiting: Array<() => void> = [];
  const sockets = new Set<net.Socket>();

  const pace = (from: net.Socket, to: net.Socket): void => {
    const next = (): void => {
      if (held) waiting.push(next);
      else from.resume();
    };
    from.on('data', (chunk: Buffer) => {
      from.pause();
      const send = (): void => {
        to.write(chunk);
        setTimeout(next, (chunk.length / bytesPerSecond) * 1_000);
      };
      if (held) waiting.push(send);
      else send();
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => to.destroy());
  };

  const server = net.createServer((viewer) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(viewer).add(upstream);
    viewer.on('close', () => sockets.delete(viewer));
    upstream.on('close', () => sockets.delete(upstream));
    // Small reads, so the rate holds within one large value too.
    viewer.setNoDelay(true);
    upstream.setNoDelay(true);
    pace(viewer, upstream);
    pace(upstream, viewer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('slow link: no port');
  return {
    port: address.port,
    hold() {
      held = true;
    },
    flow() {
      held = false;
      for (const w of waiting.splice(0)) w();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
