// Worker-thread side of ThreadRunner: one MaxDriver, driven by messages from the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { MaxDriver, type MaxDriverOptions } from './max-driver.ts';
import type { FromWorker, ToWorker } from './max-runner.ts';
import { statsToWire, takeWireInterval } from './stats-wire.ts';

function isDriverOptions(v: unknown): v is MaxDriverOptions {
  const o = v as Partial<MaxDriverOptions> | null;
  return typeof o === 'object' && o !== null && Array.isArray(o.urls) && typeof o.connections === 'number' && typeof o.timeoutMs === 'number';
}

const port = parentPort;
if (!port || !isDriverOptions(workerData)) throw new Error('max-worker.ts runs as a worker thread with MaxDriverOptions');
const driver = new MaxDriver(workerData);
const send = (m: FromWorker): void => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'start':
      driver.start();
      break;
    case 'tick':
      send({ type: 'tick', interval: takeWireInterval(driver.stats) });
      break;
    case 'stop':
      void driver.stop().then(() => send({ type: 'stopped' }));
      break;
    case 'abort':
      void driver.abort().then(() => send({ type: 'aborted' }));
      break;
    case 'finish':
      void driver.close().then(() => send({ type: 'finished', stats: statsToWire(driver.stats) }));
      break;
  }
});
send({ type: 'ready' });
