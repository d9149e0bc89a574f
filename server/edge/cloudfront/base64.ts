// CloudFront's URL-safe base64 (+ → -, = → _, / → ~), strict on decode so junk is rejected before any crypto runs.

const TO_SAFE: Record<string, string> = { '+': '-', '=': '_', '/': '~' };
const FROM_SAFE: Record<string, string> = { '-': '+', '~': '/' };
// Padding is optional (some signers strip it) but may only end the string; nothing outside the alphabet.
const SAFE = /^[A-Za-z0-9~-]*_{0,2}$/;

export const cloudFrontBase64 = {
  encode(data: Buffer | string): string {
    return Buffer.from(data).toString('base64').replace(/[+=/]/g, (c) => TO_SAFE[c] ?? c);
  },

  /** Bytes, or undefined when `text` is empty, longer than `maxChars`, or not CloudFront base64. */
  decode(text: string, maxChars: number): Buffer | undefined {
    if (text.length === 0 || text.length > maxChars || !SAFE.test(text)) return undefined;
    const body = text.replace(/_+$/, '');
    // Padding, when present, must complete the last 4-character quantum; a lone trailing character carries < 1 byte.
    if (body.length !== text.length && text.length % 4 !== 0) return undefined;
    if (body.length % 4 === 1 || body.length === 0) return undefined;
    return Buffer.from(body.replace(/[-~]/g, (c) => FROM_SAFE[c] ?? c), 'base64');
  },
};
