// Sends QoE beacons to the page's own server: fetch keepalive while the page lives, sendBeacon when it goes away.
import type { Beacon, BeaconType } from '../server/core/qoe/beacon-schema.ts';
import { BEACON_MAX_BYTES, BEACON_MAX_ERRORS, BEACON_MAX_SEGMENTS } from '../server/core/qoe/beacon-limits.ts';
import { srcWithoutQuery } from '../server/core/qoe/beacon-src.ts';
import type { QoeMeter } from './qoe-meter.ts';

export interface BeaconSenderOptions {
  readonly endpoint: string;
  readonly sessionId: string;
  /** The playlist URL played; beacons carry it without its query (a signed URL's query is its credential). */
  readonly src: string;
  readonly arm: string | null;
  readonly meter: QoeMeter;
}

export type Transport = 'fetch' | 'beacon';

export class BeaconSender {
  /** Beacons handed to the browser, and the last outcome, for the panel and tests. */
  sent = 0;
  failed = 0;
  isFinalSent = false;
  private seq = 0;
  /** Segment and error records already sent: beacons carry only what is new. */
  private segmentsSent = 0;
  private errorsSent = 0;

  constructor(private readonly opts: BeaconSenderOptions) {}

  /** Build the next beacon; the records it carries are marked sent (the returned rollback un-marks them when sending fails). */
  build(type: BeaconType): { beacon: Beacon; body: string; rollback: () => void } {
    const m = this.opts.meter;
    const segFrom = this.segmentsSent;
    const errFrom = this.errorsSent;
    let segCount = Math.min(BEACON_MAX_SEGMENTS, m.segments.length - segFrom);
    const errors = m.errors.slice(errFrom, errFrom + BEACON_MAX_ERRORS);
    const make = (): Beacon => ({
      v: 1,
      type,
      seq: this.seq,
      sessionId: this.opts.sessionId,
      src: srcWithoutQuery(this.opts.src),
      arm: this.opts.arm,
      sentAtMs: Math.round(m.sinceStart()),
      metrics: m.metrics(),
      segments: m.segments.slice(segFrom, segFrom + segCount),
      errors,
    });
    let beacon = make();
    let body = JSON.stringify(beacon);
    // Stay under the receiver's (and sendBeacon's) size limit; what does not fit goes with the next beacon.
    while (new TextEncoder().encode(body).length > BEACON_MAX_BYTES && segCount > 0) {
      segCount = Math.floor(segCount / 2);
      beacon = make();
      body = JSON.stringify(beacon);
    }
    this.seq += 1;
    this.segmentsSent = segFrom + segCount;
    this.errorsSent = errFrom + errors.length;
    const rollback = (): void => {
      // Only if nothing was sent since: otherwise the records went out with a later beacon anyway.
      if (this.segmentsSent === segFrom + segCount) this.segmentsSent = segFrom;
      if (this.errorsSent === errFrom + errors.length) this.errorsSent = errFrom;
    };
    return { beacon, body, rollback };
  }

  /** Resolves true when the server accepted it (fetch) or the browser queued it (sendBeacon). */
  async send(type: BeaconType, transport: Transport): Promise<boolean> {
    if (this.isFinalSent) return false;
    if (type === 'final') this.isFinalSent = true;
    const { body, rollback } = this.build(type);
    this.sent += 1;
    if (transport === 'beacon' && typeof navigator.sendBeacon === 'function') {
      const queued = navigator.sendBeacon(this.opts.endpoint, new Blob([body], { type: 'application/json' }));
      if (!queued) {
        this.failed += 1;
        rollback();
      }
      return queued;
    }
    try {
      const res = await fetch(this.opts.endpoint, { method: 'POST', body, headers: { 'Content-Type': 'application/json' }, keepalive: true, credentials: 'same-origin' });
      if (!res.ok) throw new Error(`POST ${this.opts.endpoint}: ${res.status}`);
      return true;
    } catch {
      this.failed += 1;
      rollback();
      return false;
    }
  }
}
