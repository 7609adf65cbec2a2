import { runBenchCli } from './cli.js';

// Exit explicitly: grpc channels and timers of a finished run must not keep the process alive.
runBenchCli(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
