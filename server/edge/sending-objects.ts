// Objects read from Redis that a response is still sending: another read of the key meanwhile reuses the same one.
import type { CacheEntry } from './cache-entry.ts';
import type { CacheKey } from './cache-key.ts';

interface Out {
  readonly entry: CacheEntry;
  refs: number;
}

/**
 * An object the memory tier does not keep (memory tier 0, or an object over a quarter of it) is read from Redis for
 * every viewer, and each read is a new Buffer that lives until the slowest socket sending it drains: under segment
 * load, one 1.25 MB copy per connection (267 MiB for a 2-worker edge at 128 connections). While some response is
 * still sending an object it is in memory anyway, so the next viewer of the key is given that same object: no copy is
 * kept longer than a response holds it, and this costs no memory the edge was not already using. The reader decides
 * whether the object is still fit to serve (fill.ts: fresh, not purged since its fill).
 */
export class SendingObjects {
  private readonly out = new Map<CacheKey, Out>();

  /** The object of this key that a response is sending now, if any. */
  get(key: CacheKey): CacheEntry | undefined {
    return this.out.get(key)?.entry;
  }

  /**
   * Marks the entry as being sent until the returned release is called (once; later calls do nothing). A newer
   * object of the same key takes the older one's place; the older stays alive only through the responses sending it.
   */
  hold(entry: CacheEntry): () => void {
    let rec = this.out.get(entry.key);
    if (rec?.entry !== entry) {
      rec = { entry, refs: 0 };
      this.out.set(entry.key, rec);
    }
    rec.refs++;
    const held = rec;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs === 0 && this.out.get(held.entry.key) === held) this.out.delete(held.entry.key);
    };
  }

  /** Keys with an object out (for tests and metrics). */
  get size(): number {
    return this.out.size;
  }
}
