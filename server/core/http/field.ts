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
