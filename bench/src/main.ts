import { runBenchCli } from './cli.js';

// Ctrl-C: exit through process.exit so the exit hooks kill every node process this run started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

// Exit explicitly: grpc channels and timers of a finished run must not keep the process alive.
runBenchCli(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
