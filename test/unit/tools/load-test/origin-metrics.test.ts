import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counterIncrease, originOffload, parseOriginRequests } from '../../../../tools/load-test/origin-metrics.ts';

describe('origin metrics', () => {
  it('sums hls_origin_http_requests_total over media kinds only', () => {
    const text = [
      '# HELP hls_origin_http_requests_total HTTP requests',
      '# TYPE hls_origin_http_requests_total counter',
      'hls_origin_http_requests_total{kind="segment",status_class="2xx",role="origin"} 120',
      'hls_origin_http_requests_total{kind="media",status_class="2xx",role="origin"} 30',
      'hls_origin_http_requests_total{kind="master",status_class="4xx",role="origin"} 2',
      'hls_origin_http_requests_total{kind="init",status_class="2xx",role="origin"} 4',
      'hls_origin_http_requests_total{kind="other",status_class="2xx",role="origin"} 999',
      'hls_origin_http_requests_total_created{kind="segment"} 1700000000',
      'hls_origin_http_bytes_total{kind="segment",role="origin"} 5e6',
    ].join('\n');
    assert.equal(parseOriginRequests(text), 156);
  });

  it('counts samples without a kind label, and zero when the counter has no samples yet', () => {
    assert.equal(parseOriginRequests('hls_origin_http_requests_total 7\n'), 7);
    assert.equal(parseOriginRequests('# TYPE hls_origin_http_requests_total counter\n'), 0);
  });

  it('refuses metrics without the counter (not an origin)', () => {
    assert.throws(() => parseOriginRequests('hls_edge_http_requests_total 5\n'), /no hls_origin_http_requests_total/);
  });

  it('computes offload as 1 − origin requests ÷ viewer requests', () => {
    assert.equal(originOffload(25, 100), 0.75);
    assert.equal(originOffload(0, 100), 1);
    assert.equal(originOffload(150, 100), 0);
    assert.equal(originOffload(5, 0), null);
  });

  it('sums per-interval increases of the counter', () => {
    assert.deepEqual(counterIncrease([100, 130, 130, 180]), { increase: 80, resets: 0 });
    assert.deepEqual(counterIncrease([42]), { increase: 0, resets: 0 });
    assert.deepEqual(counterIncrease([]), { increase: 0, resets: 0 });
  });

  it('treats a decrease as a reset: the new value counts in full, never a negative total', () => {
    // 100 → 187 before the origin restarts, then 0 → 40 after it: 87 + 40, not 40 − 100.
    assert.deepEqual(counterIncrease([100, 187, 12, 40]), { increase: 87 + 12 + 28, resets: 1 });
    // Restarted twice, the second time seen only at the end.
    assert.deepEqual(counterIncrease([500, 520, 3, 9, 2]), { increase: 20 + 3 + 6 + 2, resets: 2 });
    // Back at exactly zero after a restart.
    assert.deepEqual(counterIncrease([10, 0, 5]), { increase: 5, resets: 1 });
  });
});
