// Surrogate-Control (W3C Edge Architecture 1.0): an origin's instructions for the edge alone, over Cache-Control.
import { joinedValue, type FieldValue } from '../core/http/field.ts';

/** Sent upstream so the origin may target directives at this edge: `<id>="Surrogate/1.0"`. */
export function surrogateCapabilityOf(deviceToken: string): string {
  return `${deviceToken}="Surrogate/1.0"`;
}

/**
 * The directives meant for `deviceToken`: untargeted ones, and `directive;token` ones with its token (suffix removed);
 * those targeted at another device are dropped. The result reads as Cache-Control (core/http/cache-control.ts);
 * undefined when nothing applies.
 */
export function applicableSurrogateControl(field: FieldValue, deviceToken: string): string | undefined {
  const v = joinedValue(field);
  if (v === undefined) return undefined;
  const kept: string[] = [];
  for (const raw of v.split(',')) {
    const d = raw.trim();
    if (!d) continue;
    const semi = d.lastIndexOf(';');
    if (semi < 0) kept.push(d);
    else if (d.slice(semi + 1).trim() === deviceToken) kept.push(d.slice(0, semi).trim());
  }
  return kept.length > 0 ? kept.join(', ') : undefined;
}
