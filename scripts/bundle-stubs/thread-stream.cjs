'use strict';
// Bundled in place of thread-stream (scripts/build-server.mjs, docs/BUILD.md): pino needs it only for worker-thread
// transports, and Edgeline's logs go to pino.destination (server/core/log.ts). Reaching it means that changed.
module.exports = class ThreadStreamNotBundled {
  constructor() {
    throw new Error('pino transports (thread-stream) are not in the Edgeline bundle; see scripts/build-server.mjs');
  }
};
