import { defineConfig } from 'vitest/config';

// CI sets VITEST_JSON_REPORT to collect a machine-readable summary next to the usual output.
const jsonReport = process.env['VITEST_JSON_REPORT'];

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'deploy/test/**/*.test.ts'],
    // Integration tests start real node processes; two workers keep a 2-core machine responsive.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
