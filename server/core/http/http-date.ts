// Strict HTTP-date parsing and IMF-fixdate formatting (RFC 9110 §5.6.7), for every role.
//
// Date.parse is not used: it accepts almost anything ("yesterday-ish" is NaN, but "1" or "Thu 2050" are dates), and
// a cache that takes garbage for a date keeps objects it must not. Invalid means undefined; what that means is the
// caller's rule (an invalid Expires is "already expired", RFC 9111 §5.3; an invalid If-Modified-Since is ignored,
// RFC 9110 §13.1.3).

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// HTTP-date is case-sensitive (RFC 9110 §5.6.7): "thu" or "gmt" are not dates.
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MONTH}) ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/** Longer than any HTTP-date ("Wednesday, 09-Nov-94 08:49:37 GMT" is 33). */
const MAX_DATE_LENGTH = 40;

function toMs(year: number, month: string, day: string, hh: string, mm: string, ss: string): number | undefined {
  const m = MONTHS.indexOf(month);
  const d = Number(day);
  const h = Number(hh);
  const min = Number(mm);
  const s = Number(ss);
  // second may be 60 (a leap second, as in RFC 5322); it carries into the next minute.
  if (m < 0 || d < 1 || h > 23 || min > 59 || s > 60) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const t = new Date(0);
  t.setUTCFullYear(year, m, d);
  // Rejects 31 Feb and the like, which would roll into the next month.
  if (t.getUTCDate() !== d) return undefined;
  t.setUTCHours(h, min, s);
  return t.getTime();
}

/**
 * RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in the future is the most recent past year
 * with the same last two digits.
 */
function fullYear(yy: number, nowMs: number): number {
  const current = new Date(nowMs).getUTCFullYear();
  let year = current - (current % 100) + yy;
  if (year > current + 50) year -= 100;
  return year;
}

/**
 * Milliseconds since the epoch, or undefined when the value is not an HTTP-date: IMF-fixdate, or one of the two
 * obsolete forms a recipient MUST accept (RFC 850, asctime). `nowMs` places an RFC 850 two-digit year.
 */
export function parseHttpDate(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined || value.length > MAX_DATE_LENGTH) return undefined;
  let m = IMF_FIXDATE.exec(value);
  if (m) return toMs(Number(m[3]), m[2] ?? '', m[1] ?? '', m[4] ?? '', m[5] ?? '', m[6] ?? '');
  m = RFC850_DATE.exec(value);
  if (m) return toMs(fullYear(Number(m[3]), nowMs), m[2] ?? '', m[1] ?? '', m[4] ?? '', m[5] ?? '', m[6] ?? '');
  m = ASCTIME_DATE.exec(value);
  if (m) return toMs(Number(m[6]), m[1] ?? '', (m[2] ?? '').trim(), m[3] ?? '', m[4] ?? '', m[5] ?? '');
  return undefined;
}

let cachedSecond = Number.NaN;
let cachedText = '';

/**
 * IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7), which is exactly what toUTCString produces
 * (ECMA-262 §21.4.4.43). The last second formatted is kept, since hot paths format the same second many times.
 */
export function formatHttpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedText = new Date(second * 1000).toUTCString();
    cachedSecond = second;
  }
  return cachedText;
}
