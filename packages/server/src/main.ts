#!/usr/bin/env node
/** `node dist/main.js <flags>`: one holdfast node. Exit 2 on bad configuration, 1 on a fatal error. */
import { ConfigError, configHelp } from './config.js';
import { runNode } from './node.js';
import { RepairUnsafeError } from './repair.js';

// LevelDB work (log fsyncs, state-machine batches, reads) runs on libuv's pool; four threads stall
// reads behind a slow fsync. The pool is created on first use, after this line.
process.env['UV_THREADPOOL_SIZE'] ??= '8';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`usage: holdfast-node [flags]\n\n${configHelp()}`);
  process.exit(0);
}

runNode(argv).catch((error: unknown) => {
  if (error instanceof RepairUnsafeError) {
    // Already logged by the node; the operator's next step is in the message.
    console.error(`holdfast: ${error.message}`);
    process.exit(1);
  }
  if (error instanceof ConfigError) {
    console.error(`holdfast: ${error.message}`);
    process.exit(2);
  }
  console.error(`holdfast: failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
