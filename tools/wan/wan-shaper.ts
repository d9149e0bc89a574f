// WAN emulation: delay each response by a round trip (+ jitter) and pace its body to a per-connection bandwidth.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fields } from '../../server/core/config.ts';

export interface WanOptions {
  /** Round-trip time added before the first byte of every response; 0 = none. */
  readonly wanRttMs: number;
  /** Per-connection bandwidth the body is paced to, Mbit/s; 0 = unlimited. */
  readonly wanBandwidthMbps: number;
  /** Up to this much extra delay, uniformly random per request. */
  readonly wanJitterMs: number;
}

export const WAN_OFF: WanOptions = Object.freeze({ wanRttMs: 0, wanBandwidthMbps: 0, wanJitterMs: 0 });

/** The flags (and environment variables) for any role or proxy that can emulate distance; spread into its config spec. */
export const wanConfigFields = {
  wanRttMs: fields.number('wan-rtt-ms', 0, { env: 'WAN_RTT_MS', min: 0, max: 10_000, help: 'emulated round-trip time added to every response, ms (0 = off)' }),
  wanBandwidthMbps: fields.number('wan-bandwidth-mbps', 0, { env: 'WAN_BANDWIDTH_MBPS', min: 0, max: 100_000, help: 'emulated bandwidth per connection, Mbit/s (0 = unlimited)' }),
  wanJitterMs: fields.number('wan-jitter-ms', 0, { env: 'WAN_JITTER_MS', min: 0, max: 10_000, help: 'random extra delay per response, up to this many ms' }),
};

export type WanDescription =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly rttMs: number;
      readonly jitterMs: number;
      /** null = unlimited. */
      readonly bandwidthMbps: number | null;
      readonly perConnection: true;
      /** One RTT per request, plus one more for the TCP handshake on a new connection. */
      readonly model: string;
      readonly label: string;
    };

/**
 * One direction of one connection: bytes cross it one after another at a fixed rate. `reserve` books the link for
 * `bytes` and says when they have fully crossed, so back-to-back responses on a keep-alive connection share it.
 */
export class LinkPacer {
  private busyUntilMs = 0;
  private readonly bytesPerMs: number;

  constructor(bandwidthMbps: number) {
    this.bytesPerMs = (bandwidthMbps * 1_000_000) / 8 / 1000;
  }

  reserve(bytes: number, nowMs: number): number {
    const start = Math.max(nowMs, this.busyUntilMs);
    this.busyUntilMs = start + bytes / this.bytesPerMs;
    return this.busyUntilMs;
  }
}

/** The delay before a request reaches the handler: RTT + jitter, and another RTT when the connection is new (handshake). */
export function firstByteDelayMs(opts: WanOptions, isNewConnection: boolean, random: () => number): number {
  const rtt = opts.wanRttMs * (isNewConnection ? 2 : 1);
  return rtt + (opts.wanJitterMs > 0 ? random() * opts.wanJitterMs : 0);
}

/** Slice size for pacing: about 10 ms of link time, at least 16 KiB, so timers stay few at high bandwidths. */
export function sliceBytesFor(bandwidthMbps: number): number {
  return Math.max(16 * 1024, Math.round((bandwidthMbps * 1_000_000) / 8 / 100));
}

export interface WanShaperDeps {
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Queued bytes above which write() asks the writer to wait for 'drain', as a socket would. */
const HIGH_WATER_BYTES = 64 * 1024;

type WriteCallback = (err?: Error | null) => void;
interface Pending {
  readonly buf: Buffer;
  readonly cb: WriteCallback | undefined;
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

export class WanShaper {
  readonly options: WanOptions;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly pacers = new WeakMap<Socket, LinkPacer>();
  private readonly seenSockets = new WeakSet<Socket>();

  constructor(options: Partial<WanOptions> = {}, deps: WanShaperDeps = {}) {
    this.options = Object.freeze({ ...WAN_OFF, ...options });
    for (const [k, v] of Object.entries(this.options)) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`${k} must be a finite number >= 0, got ${v}`);
    }
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? (() => performance.now());
  }

  get isOn(): boolean {
    const o = this.options;
    return o.wanRttMs > 0 || o.wanJitterMs > 0 || o.wanBandwidthMbps > 0;
  }

  /** For /healthz and the startup log: says plainly that numbers from this process include emulated distance. */
  describe(): WanDescription {
    if (!this.isOn) return { enabled: false };
    const o = this.options;
    const bw = o.wanBandwidthMbps > 0 ? o.wanBandwidthMbps : null;
    return {
      enabled: true,
      rttMs: o.wanRttMs,
      jitterMs: o.wanJitterMs,
      bandwidthMbps: bw,
      perConnection: true,
      model: 'each response waits 1 RTT (+ jitter) before its first byte, 2 RTT on a new connection; the body is paced to the bandwidth per connection',
      label: `WAN emulation ON: rtt ${o.wanRttMs} ms${o.wanJitterMs > 0 ? ` + up to ${o.wanJitterMs} ms jitter` : ''}, ${bw === null ? 'unlimited bandwidth' : `${bw} Mbit/s per connection`}`,
    };
  }

  /** The handler behind emulated distance; the handler itself when emulation is off. */
  wrap(handler: RequestListener): RequestListener {
    if (!this.isOn) return handler;
    return (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      const isNew = !this.seenSockets.has(socket);
      this.seenSockets.add(socket);
      if (this.options.wanBandwidthMbps > 0) this.pace(res, socket);
      const delay = firstByteDelayMs(this.options, isNew, this.random);
      if (delay <= 0) {
        handler(req, res);
        return;
      }
      setTimeout(() => {
        // The viewer gave up while the request was "in flight": nothing to answer.
        if (socket.destroyed) return;
        handler(req, res);
      }, delay);
    };
  }

  /** Re-register a server's request listeners behind the emulation (for servers created elsewhere). */
  attach(server: Server): void {
    if (!this.isOn) return;
    const listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    for (const l of listeners) server.on('request', this.wrap(l));
  }

  /** Replace res.write/res.end with versions that release the body slice by slice as the link allows. */
  private pace(res: ServerResponse, socket: Socket): void {
    let pacer = this.pacers.get(socket);
    if (!pacer) {
      pacer = new LinkPacer(this.options.wanBandwidthMbps);
      this.pacers.set(socket, pacer);
    }
    const link = pacer;
    const sliceBytes = sliceBytesFor(this.options.wanBandwidthMbps);
    const rawWrite = res.write.bind(res) as (chunk: Buffer, cb?: WriteCallback) => boolean;
    const rawEnd = res.end.bind(res) as (cb?: () => void) => ServerResponse;
    const queue: Pending[] = [];
    let queuedBytes = 0;
    let ending: { cb: (() => void) | undefined } | undefined;
    let timer: NodeJS.Timeout | undefined;
    let needDrain = false;
    // One pump chain at a time: a write() from inside a 'drain' listener must not start a second one.
    let isPumping = false;

    const pump = (): void => {
      const head = queue[0];
      if (res.destroyed || !head) {
        isPumping = false;
        if (res.destroyed) queue.length = 0;
        else if (ending) rawEnd(ending.cb);
        return;
      }
      const slice = head.buf.subarray(0, sliceBytes);
      const wait = link.reserve(slice.length, this.now()) - this.now();
      const release = (): void => {
        timer = undefined;
        if (res.destroyed) return pump();
        const isLast = slice.length === head.buf.length;
        if (isLast) queue.shift();
        else queue[0] = { buf: head.buf.subarray(slice.length), cb: head.cb };
        queuedBytes -= slice.length;
        rawWrite(slice, isLast ? head.cb : undefined);
        if (needDrain && queuedBytes < HIGH_WATER_BYTES) {
          needDrain = false;
          res.emit('drain');
        }
        pump();
      };
      if (wait >= 1) timer = setTimeout(release, wait);
      else release();
    };
    const kick = (): void => {
      if (isPumping) return;
      isPumping = true;
      pump();
    };

    res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      const callback = (typeof encoding === 'function' ? encoding : cb) as WriteCallback | undefined;
      if (ending) return false;
      const buf = toBuffer(chunk, typeof encoding === 'function' ? undefined : encoding);
      if (buf.length === 0) {
        if (callback) process.nextTick(callback);
        return true;
      }
      queue.push({ buf, cb: callback });
      queuedBytes += buf.length;
      kick();
      if (queuedBytes >= HIGH_WATER_BYTES) {
        needDrain = true;
        return false;
      }
      return true;
    }) as typeof res.write;

    res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse => {
      if (ending) return res;
      let callback: (() => void) | undefined;
      if (typeof chunk === 'function') callback = chunk as () => void;
      else if (typeof encoding === 'function') callback = encoding as () => void;
      else if (typeof cb === 'function') callback = cb as () => void;
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
        const buf = toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined);
        if (buf.length > 0) {
          queue.push({ buf, cb: undefined });
          queuedBytes += buf.length;
        }
      }
      ending = { cb: callback };
      kick();
      return res;
    }) as typeof res.end;

    res.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
    });
  }
}
