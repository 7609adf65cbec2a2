export { type CliIo, processIo } from './context.js';
export { describeEndpoints, fallbackEndpoints, resolveEndpoints } from './endpoints.js';
export { DataDirInUseError, KeyNotFoundError, UsageError } from './errors.js';
export { describeMemberEvent, type MemberEvent, MemberSupervisor, type SupervisedCluster } from './member-supervisor.js';
export { renderStatus, renderTable, statusRows } from './format.js';
export { buildProgram, exitCodes, runCli } from './program.js';
export { parseCompare, parseOp, parseTxnFlags, parseTxnJson, splitWords, type TxnFlags } from './txn-syntax.js';
