// String.prototype back in V8's fast mode after a library subclassed String (ioredis 6: `class VerbatimString extends
// String`, evaluated when ioredis loads).
//
// Subclassing a builtin makes V8 set its prototype up as a prototype again, in dictionary mode. V8 turns such a
// prototype fast once an inline cache reads a property through an *object* whose chain holds it; a primitive receiver
// ('abc'.charCodeAt) never does, and every string method is called on primitives. So String.prototype stayed a
// dictionary for the process's life, and every `s.charCodeAt`, `s.slice`, `s.indexOf` in it, ours and node:http's
// alike, went through V8's generic LoadIC: a playlist hit ran 336k user-space instructions instead of 237–252k (one
// edge worker under callgrind, CMCD on; tools/bench/README.md); the router, which loads ioredis too, had the same
// slow prototype (not measured there). A loop of string-method calls ran at 270–320 ns an iteration against 90–100 ns.

/** One property read, in a function of its own so that its inline cache gets a feedback vector after a few calls. */
function readThrough(o: { readonly charCodeAt?: unknown }): unknown {
  return o.charCodeAt;
}

/**
 * Reads a String method through an object whose prototype is String.prototype, often enough for V8 to give the read
 * an inline cache (8 calls by default, `--invocation-count-for-feedback-allocation`): updating that cache makes the
 * prototypes on the receiver's chain fast again. Call it once every module a role needs is loaded; it is idempotent
 * and costs a few microseconds. test/integration/string-prototype.test.ts checks the running roles; server/core/redis-client.ts calls it.
 */
export function makeStringPrototypeFast(): void {
  const probe = Object.create(String.prototype) as { readonly charCodeAt?: unknown };
  for (let i = 0; i < 64; i++) readThrough(probe);
}
