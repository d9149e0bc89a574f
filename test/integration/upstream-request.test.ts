// The edge's upstream requests (node:http keep-alive agents) against real local servers: fields, time limits, and a
// kept-alive connection the upstream closed under a request.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closeAgents, upstreamAgents, upstreamRequest, UpstreamTimeout, type UpstreamAgents } from '../../server/edge/upstream-request.ts';

const limits = { connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 };

async function listening(server: net.Server): Promise<URL> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts).toString();
}

describe('upstream requests', () => {
  let agents: UpstreamAgents;
  const servers: net.Server[] = [];

  before(() => {
    agents = upstreamAgents(16, 30_000);
  });

  after(async () => {
    closeAgents(agents);
    for (const s of servers) {
      if (s instanceof http.Server) s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('gives a repeated field as an array of its lines and a single one as a string, names in lower case', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-One', 'only');
      res.setHeader('Vary', ['Accept', 'Origin']);
      res.end('body');
    });
    servers.push(server);
    const base = await listening(server);
    const r = await upstreamRequest(agents, { base, path: '/x', method: 'GET', headers: {}, ...limits });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.deepEqual(r.headers['vary'], ['Accept', 'Origin']);
    assert.equal(r.headers['x-one'], 'only');
    assert.equal(await text(r.body), 'body');
  });

  it('fails with UPSTREAM_HEADERS_TIMEOUT when no head comes, and UPSTREAM_BODY_TIMEOUT when the body stalls', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/stall-body') {
        res.writeHead(200, { 'content-length': '10' });
        res.write('12345');
      }
      // '/no-head': nothing at all
    });
    servers.push(server);
    const base = await listening(server);
    await assert.rejects(
      upstreamRequest(agents, { base, path: '/no-head', method: 'GET', headers: {}, ...limits, headersTimeoutMs: 200 }),
      (err: unknown) => err instanceof UpstreamTimeout && err.code === 'UPSTREAM_HEADERS_TIMEOUT',
    );
    const r = await upstreamRequest(agents, { base, path: '/stall-body', method: 'GET', headers: {}, ...limits, bodyTimeoutMs: 200 });
    assert.equal(r.statusCode, 200);
    await assert.rejects(text(r.body), (err: unknown) => err instanceof UpstreamTimeout && err.code === 'UPSTREAM_BODY_TIMEOUT');
  });

  it('sends a GET again on a new connection when the upstream closed the kept-alive one under it', async () => {
    // A raw server: the first request on each connection is answered (keep-alive); a second one on the same connection
    // makes it close the connection without an answer, as an upstream whose idle timeout just ran out does.
    let connections = 0;
    let requests = 0;
    const server = net.createServer((socket) => {
      connections++;
      let seen = 0;
      socket.on('data', (d) => {
        if (!d.toString().includes('\r\n\r\n')) return;
        requests++;
        seen++;
        if (seen === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else socket.destroy();
      });
    });
    servers.push(server);
    const base = await listening(server);
    const first = await upstreamRequest(agents, { base, path: '/a', method: 'GET', headers: {}, ...limits });
    assert.equal(await text(first.body), 'ok');
    const second = await upstreamRequest(agents, { base, path: '/b', method: 'GET', headers: {}, ...limits });
    assert.equal(second.statusCode, 200);
    assert.equal(await text(second.body), 'ok');
    assert.equal(requests, 3, 'the second GET was sent twice: on the closed connection, then on a new one');
    assert.equal(connections, 2);
  });
});
