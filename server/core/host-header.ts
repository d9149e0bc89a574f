// RFC 9112 §3.2: exactly one Host field line per request; shared by the Express shell and the edge's raw handler.
import type { IncomingMessage } from 'node:http';

/** More than one Host field line (Node keeps the first in `headers.host` and drops the rest, so only rawHeaders tell). */
export function hasDuplicateHost(req: Pick<IncomingMessage, 'rawHeaders'>): boolean {
  let n = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.length === 4 && raw[i]?.toLowerCase() === 'host' && ++n > 1) return true;
  return false;
}
