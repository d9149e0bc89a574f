// Slow and idle clients cannot hold a role's sockets: listen() closes connections on which nothing moves.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { listen } from '../../server/core/listen.ts';

describe('server limits from listen()', () => {
  it('closes a connection that never sends a request', async () => {
    const server = await listen((_req, res) => res.end('x'), { port: 0, idleTimeoutMs: 300 });
    try {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await once(socket, 'close');
    } finally {
      await server.close();
    }
  });

  it('closes a connection whose client stops reading a large response', async () => {
    let written = 0;
    const server = await listen(
      (_req, res) => {
        const chunk = Buffer.alloc(256 * 1024);
        const pump = (): void => {
          // Keeps writing while the socket drains; a client that never reads stalls it for good.
          while (written < 512 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
          if (written < 512 * 1024 * 1024) res.once('drain', pump);
          else res.end();
        };
        pump();
      },
      { port: 0, idleTimeoutMs: 300 },
    );
    try {
      const serverSide = once(server.server, 'connection') as Promise<[Socket]>;
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      socket.pause(); // read nothing (a paused socket would not notice the close either, so watch the server's side)
      const [held] = await serverSide;
      await once(held, 'close');
      socket.destroy();
      assert.ok(written < 512 * 1024 * 1024, `the server gave up before sending everything (${written} bytes written)`);
    } finally {
      await server.close();
    }
  });
});
