// A ResponseSink (server/edge/deliver.ts) that records what the edge wrote, for unit tests of the pipeline's writers.
import type { ResponseSink } from '../../server/edge/deliver.ts';

export class FakeSink implements ResponseSink {
  statusCode = 0;
  headers: string[] = [];
  readonly chunks: Buffer[] = [];
  headersSent = false;
  destroyed = false;
  closed = false;
  ended = false;
  /** When set, write() reports a full buffer (false) so the writer must wait for 'drain'. */
  isFull = false;
  /** How many writes were refused (answered false). */
  refusedWrites = 0;
  private readonly listeners = new Map<string, Array<() => void>>();

  writeHead(status: number, headers: string[]): this {
    if (this.headersSent) throw new Error('writeHead called twice');
    this.statusCode = status;
    this.headers = [...headers];
    this.headersSent = true;
    return this;
  }

  write(chunk: Buffer): boolean {
    if (!this.headersSent) throw new Error('write before writeHead');
    if (this.ended) throw new Error('write after end');
    this.chunks.push(chunk);
    if (this.isFull) this.refusedWrites++;
    return !this.isFull;
  }

  end(chunk?: Buffer): this {
    if (this.ended) throw new Error('end called twice');
    if (chunk) this.chunks.push(chunk);
    this.ended = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.close();
    return this;
  }

  /** The response is over (node:http emits 'close' after the last byte went out, or when the socket is cut). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  on(event: 'drain' | 'close', listener: () => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  off(event: 'drain' | 'close', listener: () => void): this {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((f) => f !== listener));
    return this;
  }

  /** The socket's buffer emptied. */
  drain(): void {
    this.isFull = false;
    this.emit('drain');
  }

  listenerCount(event: 'drain' | 'close'): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  private emit(event: string): void {
    for (const f of [...(this.listeners.get(event) ?? [])]) f();
  }

  /** The first value of a header, by name in any case. */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.headers.length; i += 2) if (this.headers[i]?.toLowerCase() === lower) return this.headers[i + 1];
    return undefined;
  }

  headerCount(name: string): number {
    const lower = name.toLowerCase();
    let n = 0;
    for (let i = 0; i < this.headers.length; i += 2) if (this.headers[i]?.toLowerCase() === lower) n++;
    return n;
  }

  get body(): string {
    return Buffer.concat(this.chunks).toString();
  }
}
