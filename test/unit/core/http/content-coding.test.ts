// Accept-Encoding negotiation (RFC 9110 §12.5.3) for compressed playlists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseEncoding } from '../../../../server/core/http/content-coding.ts';

describe('chooseEncoding (RFC 9110 §12.5.3)', () => {
  it('prefers br, honours q-values, * and q=0', () => {
    assert.equal(chooseEncoding(undefined), undefined);
    assert.equal(chooseEncoding('gzip, deflate, br'), 'br');
    assert.equal(chooseEncoding('gzip'), 'gzip');
    assert.equal(chooseEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(chooseEncoding('br;q=0, gzip;q=0'), undefined);
    assert.equal(chooseEncoding('*'), 'br');
    assert.equal(chooseEncoding('*;q=0.5, br;q=0'), 'gzip');
    assert.equal(chooseEncoding('identity'), undefined);
    assert.equal(chooseEncoding('x-gzip'), 'gzip');
  });

  it('reads every field line', () => {
    assert.equal(chooseEncoding(['br;q=0', 'gzip']), 'gzip');
  });
});
