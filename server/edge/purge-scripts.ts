// The purge counter, its epoch and log in Redis: the Lua that numbers purges, reads them back, and guards stores.
import { randomUUID } from 'node:crypto';
import type { CacheKey, RedisKeys } from './cache-key.ts';
import { defineScript, type RedisScript } from '../core/redis-script.ts';
import type { RedisClient } from '../core/redis-client.ts';
import type { PurgeRecord } from './purge-log.ts';

/*
 * Redis may lose any key (a restart without persistence, a failover, eviction). The counter therefore lives in a hash
 * {epoch, seq, since} with a random epoch id made when the hash is (re)created; the log is emptied then, because its
 * numbering belongs to the lost history. Sequence numbers are max(previous + 1, Redis TIME in µs): they keep rising
 * across epochs, so "filled under seq s" still orders against every later purge after Redis started from nothing.
 * Each record names the seq before it (`prev`), so an edge can prove it has read an unbroken chain. Numbers are
 * written with %d: cjson's 14 significant digits would round a 16-digit seq.
 */
const PRELUDE = `
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = string.format('%d', math.floor(now_us / 1000))
local function ensure_head(head, log, candidate)
  local kind = redis.call('TYPE', head)['ok']
  if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', head) end
  local epoch = redis.call('HGET', head, 'epoch')
  if epoch then return epoch end
  redis.call('DEL', log)
  redis.call('HSET', head, 'epoch', candidate, 'seq', '0', 'since', now_ms)
  return candidate
end
`;

/** KEYS head, log, record; ARGV id, at, paths JSON, record TTL ms, epoch candidate → the record's JSON. */
const SUBMIT_LUA = `${PRELUDE}
local epoch = ensure_head(KEYS[1], KEYS[2], ARGV[5])
local prev = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local seq = math.max(prev + 1, now_us)
redis.call('HSET', KEYS[1], 'seq', string.format('%d', seq))
local rec = string.format('{"seq":%d,"prev":%d,"epoch":%s,"id":%s,"at":%d,"paths":%s}', seq, prev, cjson.encode(epoch), cjson.encode(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
redis.call('ZADD', KEYS[2], string.format('%d', seq), rec)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -10001)
redis.call('SET', KEYS[3], rec, 'PX', ARGV[4])
return rec`;

/**
 * KEYS head, log; ARGV epoch candidate, the reader's epoch, from ('' for no records; else the reader's seq) →
 * {epoch, seq, since ms, Redis now ms, records…}: from the reader's seq (inclusive) in its own epoch, the whole log in another.
 */
const HEAD_LUA = `${PRELUDE}
local epoch = ensure_head(KEYS[1], KEYS[2], ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'seq', 'since')
local out = {epoch, h[1] or '0', h[2] or now_ms, now_ms}
if ARGV[3] ~= '' then
  local from = '-inf'
  if epoch == ARGV[2] then from = ARGV[3] end
  for _, rec in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], from, '+inf')) do out[#out + 1] = rec end
end
return out`;

/** How long staged bytes outlive a store that never ran its script (the edge died in between). */
const STAGING_TTL_MS = 60_000;

/**
 * KEYS object, log, head, staging; ARGV TTL ms, fill seq, cache key, fill epoch. The object's bytes were SET at the
 * staging key just before, on the same connection: moving them with RENAME costs Redis the same whatever their size,
 * where a value passed to the script as an argument cost it two copies through Lua (2–3 ms of Redis CPU for a 1.25 MB
 * segment, against 0.3 ms for the plain SET; measured in the note of issue 11). Store unless a purge the fill did not
 * know matches the key: in the fill's epoch, those numbered after its seq; in another epoch, every logged purge. A
 * path ending in "*" is a prefix, any other matches the key exactly or with a query string (purge-log.ts's rule).
 * Refused: the staged bytes are deleted (0). Missing staged bytes (evicted, or their SET failed): -1.
 */
const STORE_LUA = `
local epoch = redis.call('HGET', KEYS[3], 'epoch')
local from = nil
if epoch then
  if epoch ~= ARGV[4] then from = '-inf'
  elseif tonumber(redis.call('HGET', KEYS[3], 'seq') or '0') > tonumber(ARGV[2]) then from = '(' .. ARGV[2] end
end
if from then
  local key = ARGV[3]
  for _, rec in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], from, '+inf')) do
    local ok, r = pcall(cjson.decode, rec)
    if ok and type(r) == 'table' and type(r['paths']) == 'table' then
      for _, p in ipairs(r['paths']) do
        local hit = false
        if string.sub(p, -1) == '*' then
          local pre = string.sub(p, 1, -2)
          hit = string.sub(key, 1, #pre) == pre
        else
          hit = key == p or string.sub(key, 1, #p + 1) == p .. '?'
        end
        if hit then
          redis.call('DEL', KEYS[4])
          return 0
        end
      end
    end
  end
end
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
redis.call('RENAME', KEYS[4], KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** What HEAD_LUA answers. */
export interface PurgeHead {
  readonly epoch: string;
  readonly seq: number;
  /** When this epoch began, and Redis's clock now (ms): completion waits until every edge had time to beat into it. */
  readonly sinceMs: number;
  readonly nowMs: number;
  readonly records: PurgeRecord[];
}

export function parsePurgeRecord(text: string): PurgeRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const paths = r['paths'];
  if (typeof r['seq'] !== 'number' || typeof r['prev'] !== 'number' || typeof r['epoch'] !== 'string') return undefined;
  if (typeof r['id'] !== 'string' || typeof r['at'] !== 'number') return undefined;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return undefined;
  return { seq: r['seq'], prev: r['prev'], epoch: r['epoch'], id: r['id'], at: r['at'], paths: paths as string[] };
}

function parseHead(reply: unknown): PurgeHead | undefined {
  if (!Array.isArray(reply) || reply.length < 4 || !reply.every((v) => typeof v === 'string')) return undefined;
  const [epoch, seq, since, now, ...rest] = reply as string[];
  const n = [Number(seq), Number(since), Number(now)];
  if (!epoch || !n.every(Number.isFinite)) return undefined;
  const records = rest.flatMap((t) => parsePurgeRecord(t) ?? []).filter((r) => r.epoch === epoch);
  return { epoch, seq: n[0] ?? 0, sinceMs: n[1] ?? 0, nowMs: n[2] ?? 0, records: records.sort((a, b) => a.seq - b.seq) };
}

/** The three scripts bound to one client. Epoch candidates are random: whichever script creates the hash wins. */
export class PurgeScripts {
  private readonly submitScript: RedisScript;
  private readonly headScript: RedisScript;
  private readonly storeScript: RedisScript;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly newEpoch: () => string,
  ) {
    this.submitScript = defineScript(client, 'edgelinePurgeSubmit', 3, SUBMIT_LUA);
    this.headScript = defineScript(client, 'edgelinePurgeHead', 2, HEAD_LUA);
    this.storeScript = defineScript(client, 'edgelineStoreStaged', 4, STORE_LUA);
  }

  async submit(id: string, at: number, paths: readonly string[], recordTtlMs: number): Promise<PurgeRecord | undefined> {
    const k = this.keys;
    const reply = await this.submitScript([k.purgeSeq, k.purgeLog, k.invalidation(id)], [id, at, JSON.stringify(paths), recordTtlMs, this.newEpoch()]);
    return typeof reply === 'string' ? parsePurgeRecord(reply) : undefined;
  }

  /** The counter and, unless `from` is undefined, the records a reader at (epoch, from) needs; throws on a bad reply. */
  async head(readerEpoch: string | undefined, from: number | undefined): Promise<PurgeHead> {
    const reply = await this.headScript([this.keys.purgeSeq, this.keys.purgeLog], [this.newEpoch(), readerEpoch ?? '', from === undefined ? '' : String(from)]);
    const head = parseHead(reply);
    if (!head) throw new Error('unexpected purge head reply from Redis');
    return head;
  }

  /**
   * 1 stored, 0 refused (a purge the fill did not know matches), -1 not stored (the staged bytes were gone). The bytes
   * are SET at a staging key of their own, then the script, next on the same connection, moves them into place. Single
   * Redis only: the keys span slots.
   */
  async store(key: CacheKey, value: Buffer, ttlMs: number, fillSeq: number, fillEpoch: string | undefined): Promise<unknown> {
    const k = this.keys;
    const staging = k.staging(key, randomUUID());
    const [, reply] = await Promise.all([
      this.client.set(staging, value, 'PX', STAGING_TTL_MS),
      this.storeScript([k.object(key), k.purgeLog, k.purgeSeq, staging], [Math.ceil(ttlMs), fillSeq, key, fillEpoch ?? '']),
    ]);
    return reply;
  }
}
