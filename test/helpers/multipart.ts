// An independent reader of multipart/byteranges bodies, for tests of both roles (not the product's writer).
import assert from 'node:assert/strict';

export interface Part {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A strict reader of multipart/byteranges (RFC 9110 §14.6 / RFC 2046 §5.1). */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const parts: Part[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  assert.equal(pos, 0, 'body starts with the first delimiter');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    assert.equal(body.subarray(pos, pos + 2).toString(), '\r\n');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    assert.ok(headerEnd > pos, 'each part has a header block');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos + 2, headerEnd).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    assert.ok(next >= 0, 'each part ends with a delimiter');
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}
