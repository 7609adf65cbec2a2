#!/usr/bin/env node
import { runCli } from './program.js';

// Only the exit status is set: a command that keeps running (node, cluster up) ends on its own.
process.exitCode = await runCli(process.argv.slice(2));
