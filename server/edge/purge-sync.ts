// Pure: given where this process stands in the purge log and what Redis holds now, what to apply and whether to doubt.
import type { PurgeHead } from './purge-scripts.ts';
import type { PurgeRecord } from './purge-log.ts';

export interface PurgePosition {
  /** Undefined before Redis was first read. */
  readonly epoch: string | undefined;
  readonly seq: number;
  /** Id of the record numbered `seq`, when known. */
  readonly id: string | undefined;
}

/**
 * Why this process cannot prove it applied every purge (it then drops its whole memory tier, see invalidation.ts):
 * - `first-contact`: it served from memory before it could read Redis, and purges of a lost history may have passed;
 * - `new-epoch`: Redis lost the counter (restart without persistence, failover, eviction); purges of the old epoch
 *   that had not reached this process are gone with the old log;
 * - `broken-chain`: the log no longer connects to this process's place (a record lost or trimmed away, a counter that
 *   went backwards after a failover).
 */
export type Doubt = 'first-contact' | 'new-epoch' | 'broken-chain';

export interface SyncPlan {
  /** Records to apply, oldest first (already-applied ones are skipped by the purge log itself). */
  readonly apply: readonly PurgeRecord[];
  readonly doubt: Doubt | undefined;
  /** The chain cannot be judged from these records: read the whole log of the epoch and plan again. */
  readonly needsFullLog: boolean;
  readonly position: PurgePosition;
}

/** Position after applying every record of `head` (a read of the whole log). */
function headPosition(head: PurgeHead): PurgePosition {
  return { epoch: head.epoch, seq: head.seq, id: head.records.find((r) => r.seq === head.seq)?.id };
}

/**
 * `head.records` are what the reader asked for: the whole log (`isFullLog`) or the records from its own seq on.
 * In its own epoch, the records must continue its chain: the one at its seq is the one it applied, each next one names
 * the previous as `prev`, and the last is the counter. Anything else is a broken chain.
 */
export function planSync(pos: PurgePosition, head: PurgeHead, opts: { readonly isFullLog: boolean; readonly memoryIsEmpty: boolean }): SyncPlan {
  if (pos.epoch === undefined) {
    return { apply: head.records, doubt: opts.memoryIsEmpty ? undefined : 'first-contact', needsFullLog: false, position: headPosition(head) };
  }
  if (pos.epoch !== head.epoch) return { apply: head.records, doubt: 'new-epoch', needsFullLog: false, position: headPosition(head) };
  let broken = false;
  if (pos.seq > 0) {
    const atPos = head.records.find((r) => r.seq === pos.seq);
    // The record this process stands on must still be there, and be the one it applied.
    if (atPos) broken = pos.id !== undefined && atPos.id !== pos.id;
    else broken = pos.id !== undefined;
  }
  const rest = head.records.filter((r) => r.seq > pos.seq);
  let at = pos.seq;
  let id = pos.id;
  for (const r of rest) {
    if (r.prev !== at) broken = true;
    at = r.seq;
    id = r.id;
  }
  if (at !== head.seq) broken = true;
  if (!broken) return { apply: rest, doubt: undefined, needsFullLog: false, position: { epoch: head.epoch, seq: at, id } };
  if (!opts.isFullLog) return { apply: [], doubt: undefined, needsFullLog: true, position: pos };
  return { apply: head.records, doubt: 'broken-chain', needsFullLog: false, position: headPosition(head) };
}

/** A pub/sub message continues this process's chain: it can move on without reading the log. */
export function continuesChain(pos: PurgePosition, rec: PurgeRecord): boolean {
  return pos.epoch !== undefined && rec.epoch === pos.epoch && rec.prev === pos.seq;
}
