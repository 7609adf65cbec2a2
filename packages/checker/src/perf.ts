import { checkHistory } from './check.js';
import { generateLinearizableHistory } from './generate.js';

/** Times the checker on a large generated history: `node packages/checker/dist/perf.js [ops] [keys]`. */
function main(): void {
  const operationCount = Number(process.argv[2] ?? 100_000);
  const keyCount = Number(process.argv[3] ?? 1_000);
  const generateStartedMs = performance.now();
  const history = generateLinearizableHistory({
    seed: 20_261_129,
    operationCount,
    keyCount,
    clientCount: 64,
    unknownRatio: 0.05,
    failedRatio: 0.02,
  });
  const generateMs = performance.now() - generateStartedMs;
  const result = checkHistory(history);
  const summary = {
    operations: history.length,
    keys: result.keysChecked,
    operationsChecked: result.operationsChecked,
    unknownOperations: history.filter((op) => op.outcome === 'unknown').length,
    linearizable: result.linearizable,
    violations: result.violations.length,
    undecidedKeys: result.undecidedKeys.length,
    generateMs: Math.round(generateMs),
    checkMs: Math.round(result.elapsedMs),
  };
  console.log(JSON.stringify(summary));
  if (!result.linearizable) process.exitCode = 1;
}

main();
