// Preloaded (node --allow-natives-syntax --require) into a process under test: on SIGUSR2 it writes to stderr whether
// String.prototype has fast properties (V8's %HasFastProperties). A test instrument: the product never loads it.
'use strict';
// Through the Function constructor: the natives syntax is parsed only when node runs with --allow-natives-syntax.
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)');
process.on('SIGUSR2', () => {
  process.stderr.write(`string-prototype-fast=${hasFastProperties(String.prototype)}\n`);
});
