// RFC 8216 §4.2 attribute lists: the reader for the attributes hls-parser 0.16 misreads, and the checks our writers apply.
import { PlaylistError } from './playlist-error.ts';

/**
 * `A=1,B="x,y",C=z` → A → 1, B → x,y, C → z (quoted-string values unquoted; names are upper case, §4.2).
 * hls-parser reads every other attribute; this exists because 0.16.1 looks for EXT-X-CONTENT-STEERING under the
 * name "EXT-X-CONTENT-STEERING-SERVER" and for a variant's PATHWAY-ID under "STABLE-PATHWAY-ID", so it drops both.
 */
export function parseAttributeList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Z0-9-]+)=("[^"\r\n]*"|[^,]*)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    const raw = m[2] ?? '';
    out.set(m[1] ?? '', raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
  }
  return out;
}

/** The attribute list of every line starting with `tag:` (e.g. "#EXT-X-STREAM-INF"), in playlist order. */
export function tagAttributes(text: string, tag: string): Map<string, string>[] {
  const prefix = `${tag}:`;
  const out: Map<string, string>[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith(prefix)) out.push(parseAttributeList(line.slice(prefix.length)));
  }
  return out;
}

/** §4.2: a quoted-string holds no double quote, CR or LF; hls-parser writes values as given, so we check before. */
export function checkQuotedString(what: string, value: string): void {
  if (/["\r\n]/.test(value)) throw new PlaylistError(`cannot write playlist: ${what} ${JSON.stringify(value)} holds a double quote or a line break (RFC 8216 §4.2)`);
}

/** §4.1: a URI line is one line; a line break would start a tag or another URI of the writer's choosing. */
export function checkUriLine(what: string, value: string): void {
  if (value === '' || /[\r\n]/.test(value) || value.startsWith('#')) throw new PlaylistError(`cannot write playlist: ${what} ${JSON.stringify(value)} is not a URI line (RFC 8216 §4.1)`);
}
