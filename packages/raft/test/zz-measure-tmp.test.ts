import { it } from 'vitest';
import { Network } from './network.js';
it('measure', () => {
  const net = new Network([1, 2, 3], { config: { uncommittedBytesMax: 1e9 } });
  net.recordTraffic = false;
  net.elect(1);
  const payload = new Uint8Array(100);
  const batches = 20000;
  const start = performance.now();
  for (let i = 0; i < batches; i += 1) {
    net.node(1).propose([payload, payload, payload, payload, payload, payload, payload, payload, payload, payload]);
    net.stabilize();
  }
  const ms = performance.now() - start;
  console.log(`committed ${batches * 10} entries (batches of 10) in ${ms.toFixed(0)} ms: ${((batches * 10) / (ms / 1000)).toFixed(0)} entries/s, ${(batches / (ms / 1000)).toFixed(0)} rounds/s`);
  const start2 = performance.now();
  for (let i = 0; i < 5000; i += 1) { net.node(1).propose([payload]); net.stabilize(); }
  const ms2 = performance.now() - start2;
  console.log(`single-entry proposals: ${(5000 / (ms2 / 1000)).toFixed(0)} commits/s`);
});
