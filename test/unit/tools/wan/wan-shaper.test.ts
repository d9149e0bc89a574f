// WAN emulation arithmetic: link pacing, first-byte delay, slice size, description, and off by default.
import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { describe, it } from 'node:test';
import { defaultsOf, loadConfig } from '../../../../server/core/config.ts';
import { LinkPacer, WanShaper, firstByteDelayMs, sliceBytesFor, wanConfigFields } from '../../../../tools/wan/wan-shaper.ts';

describe('LinkPacer', () => {
  it('books bytes back to back at the link rate, and idles when nothing is sent', () => {
    const link = new LinkPacer(8); // 8 Mbit/s = 1000 bytes per ms
    assert.equal(link.reserve(1_000_000, 0), 1000);
    assert.equal(link.reserve(500_000, 200), 1500, 'a second response on the connection waits for the first');
    assert.equal(link.reserve(1000, 5000), 5001, 'an idle link starts at once');
  });
});

describe('firstByteDelayMs', () => {
  const opts = { wanRttMs: 100, wanBandwidthMbps: 0, wanJitterMs: 20 };
  it('is one RTT plus jitter, and a second RTT for a new connection (TCP handshake)', () => {
    assert.equal(firstByteDelayMs(opts, false, () => 0), 100);
    assert.equal(firstByteDelayMs(opts, false, () => 0.5), 110);
    assert.equal(firstByteDelayMs(opts, true, () => 0), 200);
    assert.equal(firstByteDelayMs({ ...opts, wanJitterMs: 0 }, false, () => 0.9), 100);
  });
});

describe('sliceBytesFor', () => {
  it('keeps slices at about 10 ms of link time, at least 16 KiB', () => {
    assert.equal(sliceBytesFor(1), 16 * 1024);
    assert.equal(sliceBytesFor(100), 125_000);
  });
});

describe('WanShaper', () => {
  it('is off by default and then leaves the handler untouched', () => {
    const handler: RequestListener = () => undefined;
    const shaper = new WanShaper();
    assert.equal(shaper.isOn, false);
    assert.equal(shaper.wrap(handler), handler);
    assert.deepEqual(shaper.describe(), { enabled: false });
  });

  it('describes itself plainly when on', () => {
    const d = new WanShaper({ wanRttMs: 150, wanBandwidthMbps: 20, wanJitterMs: 10 }).describe();
    assert.equal(d.enabled, true);
    assert.equal(d.enabled && d.bandwidthMbps, 20);
    assert.equal(d.enabled && d.label, 'WAN emulation ON: rtt 150 ms + up to 10 ms jitter, 20 Mbit/s per connection');
    const rttOnly = new WanShaper({ wanRttMs: 50 }).describe();
    assert.equal(rttOnly.enabled && rttOnly.bandwidthMbps, null);
  });

  it('rejects negative or non-finite settings', () => {
    assert.throws(() => new WanShaper({ wanRttMs: -1 }), RangeError);
    assert.throws(() => new WanShaper({ wanBandwidthMbps: Number.NaN }), RangeError);
  });
});

describe('wanConfigFields', () => {
  it('reads flags and environment variables, flags winning, off by default', () => {
    assert.deepEqual(defaultsOf(wanConfigFields), { wanRttMs: 0, wanBandwidthMbps: 0, wanJitterMs: 0 });
    const { values } = loadConfig(wanConfigFields, { WAN_RTT_MS: '80', WAN_JITTER_MS: '5' }, ['--wan-rtt-ms', '150', '--wan-bandwidth-mbps', '2.5']);
    assert.deepEqual(values, { wanRttMs: 150, wanBandwidthMbps: 2.5, wanJitterMs: 5 });
    assert.throws(() => loadConfig(wanConfigFields, { WAN_RTT_MS: '-3' }, []), /WAN_RTT_MS/);
  });
});
