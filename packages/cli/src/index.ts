export { type CliIo, processIo } from './context.js';
export { describeEndpoints, fallbackEndpoints, resolveEndpoints } from './endpoints.js';
export { KeyNotFoundError, UsageError } from './errors.js';
export { renderStatus, renderTable, statusRows } from './format.js';
export { buildProgram, exitCodes, runCli } from './program.js';
export { parseCompare, parseOp, parseTxnFlags, parseTxnJson, splitWords, type TxnFlags } from './txn-syntax.js';
