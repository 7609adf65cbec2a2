#!/usr/bin/env node
// The `holdfast` command. A plain JavaScript file that exists before any build, so npm can link
// it at install time; it runs the compiled CLI, or says how to build it in a checkout.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    'holdfast is not built yet: run `npm run build` (or `npm start`) at the root of the repository.\n',
  );
  process.exit(1);
}
await import(main.href);
