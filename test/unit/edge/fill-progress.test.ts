// The leader's side of a cross-edge fill (fill-progress.ts): what it sends to Redis, in which order, and how often.
// Redis itself is faked here (a recorder of commands); test/integration/edge-collapsing.test.ts runs it on a real one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisKeys } from '../../../server/edge/cache-key.ts';
import { ENDED_FILL_LINGER_MS, FillPublisher } from '../../../server/edge/fill-progress.ts';
import type { RedisTier } from '../../../server/edge/redis-tier.ts';

type Command = readonly [string, ...unknown[]];

/** Records every command a publisher sends through `attemptWrite`, in order, and the bytes each write said it sends. */
function recordingRedis(): { tier: RedisTier; commands: Command[]; sending: number[] } {
  const commands: Command[] = [];
  const sending: number[] = [];
  const client = new Proxy({}, {
    get: (_t, name) => (...args: unknown[]) => {
      commands.push([String(name), ...args]);
      return Promise.resolve('OK');
    },
  });
  const tier = {
    isAvailable: true,
    attemptWrite: async (_op: string, fn: (r: unknown) => Promise<unknown>, bytes: number) => {
      sending.push(bytes);
      return { ok: true, value: await fn(client) };
    },
  };
  return { tier: tier as unknown as RedisTier, commands, sending };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const KEY = '/vod/a/1.ts';

describe('fill progress: the publisher', () => {
  it('sends the chunks of one pass of the event loop as one APPEND and one notice, in order, and the end after every byte', async () => {
    const { tier, commands, sending } = recordingRedis();
    const keys = new RedisKeys('t:');
    const p = new FillPublisher(tier, keys, 'chan', KEY, 'id1', 30_000);
    p.head({ status: 200, headers: { 'content-type': 'video/mp2t' }, upstream: 'origin' });
    await turn();
    commands.length = 0;
    sending.length = 0;
    p.chunk(Buffer.from('ab'));
    p.chunk(Buffer.from('cd'));
    p.chunk(Buffer.from('ef'));
    assert.equal(commands.length, 0, 'nothing sent before the pass ends');
    await turn();
    const appends = commands.filter((c) => c[0] === 'append');
    assert.deepEqual(appends.map((c) => String(c[2])), ['abcdef'], 'one APPEND for the three chunks');
    assert.equal(appends[0]?.[1], keys.fillBody(KEY, 'id1'));
    assert.equal(commands.filter((c) => c[0] === 'publish').length, 1, 'one notice for them');
    assert.deepEqual(sending, [6], 'the write says how many bytes it sends (its bound allows for them)');
    commands.length = 0;
    p.chunk(Buffer.from('g'));
    p.end('done');
    const names = commands.map((c) => c[0]);
    assert.deepEqual(names.filter((n) => n === 'append' || n === 'hset'), ['append', 'hset'], 'the last bytes go before the end');
    assert.deepEqual(commands.find((c) => c[0] === 'hset')?.slice(2), ['end', 'done 7']);
    const expiries = commands.filter((c) => c[0] === 'pexpire');
    assert.deepEqual(expiries.slice(-2), [['pexpire', keys.fillMeta(KEY), ENDED_FILL_LINGER_MS], ['pexpire', keys.fillBody(KEY, 'id1'), ENDED_FILL_LINGER_MS]], 'an ended fill lingers only for its followers\' last reads, not the lock\'s 30 s');
    await turn();
    assert.equal(commands.filter((c) => c[0] === 'append').length, 1, 'nothing sent twice');
  });

  it('sends the head in the pass of the first chunks, not when it is given, and before them', async () => {
    const { tier, commands } = recordingRedis();
    const keys = new RedisKeys('t:');
    const p = new FillPublisher(tier, keys, 'chan', KEY, 'id3', 30_000);
    p.head({ status: 200, headers: { 'content-type': 'video/mp2t' }, upstream: 'origin' });
    assert.equal(commands.length, 0, 'the viewer\'s first bytes go out before any Redis command');
    p.chunk(Buffer.from('ab'));
    await turn();
    const names = commands.map((c) => c[0]);
    assert.deepEqual(names.filter((n) => n === 'del' || n === 'hset' || n === 'append'), ['del', 'hset', 'append'], 'the head (DEL, HSET) before the bytes');
    const head = commands.find((c) => c[0] === 'hset');
    assert.equal(head?.[1], keys.fillMeta(KEY));
    assert.deepEqual(JSON.parse(String(head?.[5])), { status: 200, headers: { 'content-type': 'video/mp2t' }, upstream: 'origin' });
  });

  it('sends a head still waiting before the end, when the fill ends in the same pass (done or aborted)', () => {
    for (const outcome of ['done', 'aborted'] as const) {
      const { tier, commands } = recordingRedis();
      const p = new FillPublisher(tier, new RedisKeys('t:'), 'chan', KEY, 'id4', 30_000);
      p.head({ status: 200, headers: {}, upstream: 'origin' });
      p.chunk(Buffer.from('all'));
      p.end(outcome);
      const hsets = commands.filter((c) => c[0] === 'hset').map((c) => String(c[2]));
      assert.deepEqual(hsets, ['id', 'end'], `${outcome}: the head's HSET (id, head) before the end's`);
      assert.equal(commands.filter((c) => c[0] === 'append').length, outcome === 'done' ? 1 : 0, `${outcome}: the bytes only when done`);
    }
  });

  it('drops the unsent bytes of an aborted fill and sends nothing after its end', async () => {
    const { tier, commands } = recordingRedis();
    const p = new FillPublisher(tier, new RedisKeys('t:'), 'chan', KEY, 'id2', 30_000);
    p.chunk(Buffer.from('half'));
    p.end('aborted');
    p.chunk(Buffer.from('more'));
    await turn();
    assert.equal(commands.filter((c) => c[0] === 'append').length, 0);
    assert.deepEqual(commands.find((c) => c[0] === 'hset')?.slice(2), ['end', 'aborted']);
  });
});
