#!/usr/bin/env node
import { runCli } from './program.js';

// Output piped into a reader that stops early (`holdfast range ... | head`) closes the pipe:
// the rest of the output has nowhere to go, which is not a failure of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Only the exit status is set: a command that keeps running (node, cluster up) ends on its own.
process.exitCode = await runCli(process.argv.slice(2));
