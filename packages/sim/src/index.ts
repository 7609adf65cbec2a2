export { SimDisk, type DurableState, type DiskDefects, DiskInvariantError } from './disk.js';
export { EventLog } from './eventLog.js';
export { EventQueue } from './eventQueue.js';
export { InvariantViolation, type InvariantName, type LogView, SafetyChecker } from './invariants.js';
export { KvStateMachine, decodeCommand, encodeCommand, type KvCommand, type KvResult } from './kv.js';
export { planPartition, SimNetwork, type NetworkConfig, type NetworkFaults, type PartitionKind } from './network.js';
export { formatFailure, replayCommand, runSeeds, type RunSeedsOptions, type RunSummary } from './runner.js';
export {
  runSeed,
  Simulation,
  type SeedResult,
  type SeedStats,
  type SeedViolation,
  type SimDefects,
  type SimOptions,
} from './simulation.js';
