// A request or response field as Node hands it over (absent, one line, several lines), and the one-value reading.

/** node:http joins most repeated request fields with ", "; undici keeps each response line in an array. */
export type FieldValue = string | readonly string[] | undefined;

/**
 * For fields defined as a single value (Age, Expires, Range, If-Modified-Since…): the value, trimmed of OWS, or
 * 'absent', or 'several' when more than one field line came (RFC 9110 §5.3: such a field cannot be combined).
 */
export function singleValue(field: FieldValue): string | 'absent' | 'several' {
  if (field === undefined) return 'absent';
  if (typeof field === 'string') return field.trim();
  if (field.length === 0) return 'absent';
  if (field.length > 1) return 'several';
  return (field[0] ?? '').trim();
}

/** Every line of a list-based field as one list (RFC 9110 §5.3: lines combine with commas). */
export function joinedValue(field: FieldValue): string | undefined {
  return field === undefined || typeof field === 'string' ? field : field.length === 0 ? undefined : field.join(', ');
}

/** Index just past the next comma that is not inside a quoted string (or the end). */
function pastNextComma(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) return i + 1;
  }
  return s.length;
}

/**
 * The elements of a comma-separated list (RFC 9110 §5.6.1), each matched by `element`: a sticky RegExp that takes
 * one element, the OWS after it and the comma or the end. Empty elements are skipped (§5.6.1.2). An element that
 * does not match ends the list ('stop') or is skipped up to the next comma outside a quoted string ('skip').
 */
export function* listElements(s: string, element: RegExp, onMismatch: 'skip' | 'stop'): Generator<RegExpExecArray> {
  let pos = 0;
  while (pos < s.length) {
    const c = s[pos];
    if (c === ',' || c === ' ' || c === '\t') {
      pos++;
      continue;
    }
    element.lastIndex = pos;
    const m = element.exec(s);
    if (m) {
      pos = element.lastIndex;
      yield m;
    } else if (onMismatch === 'skip') {
      pos = pastNextComma(s, pos);
    } else {
      return;
    }
  }
}
