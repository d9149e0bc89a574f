'use strict';
// Bundled in place of @opentelemetry/api (scripts/build-server.mjs, docs/BUILD.md): prom-client requires it only to
// label exemplars, which Edgeline never enables. Touching it means that changed: bundle the real package again.
function notBundled() {
  throw new Error('@opentelemetry/api is not in the Edgeline bundle (exemplars are off); see scripts/build-server.mjs');
}
module.exports = {
  get trace() { return notBundled(); },
  get context() { return notBundled(); },
};
