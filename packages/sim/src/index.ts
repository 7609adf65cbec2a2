export { SimDisk, type DurableState, type DiskDefects, DiskInvariantError } from './disk.js';
export { EventLog } from './eventLog.js';
export { EventQueue } from './eventQueue.js';
export { InvariantViolation, type InvariantName, type LogView, SafetyChecker } from './invariants.js';
export { KvStateMachine, decodeCommand, encodeCommand, type KvCommand, type KvResult } from './kv.js';
export { planPartition, SimNetwork, type NetworkConfig, type NetworkFaults, type PartitionKind } from './network.js';
export { formatFailure, replayCommand, type RunRealSeedsOptions, runRealSeeds, runSeeds, type RunSeedsOptions, type RunSummary } from './runner.js';
export {
  ALL_STORAGE_FAULTS,
  HANDLED_STORAGE_FAULTS,
  type RealDefects,
  type RealSeedResult,
  type RealSeedStats,
  type RealSimOptions,
  RealSimulation,
  runRealSeed,
  type StorageFaultOptions,
} from './real/simulation.js';
export { type CrashDamage, type DiskConditions, DiskFaultError, type RestDamage, SimStorageDisk } from './real/sim-disk.js';
export { MemberTime, SimScheduler } from './real/scheduler.js';
export {
  runSeed,
  Simulation,
  type SeedResult,
  type SeedStats,
  type SeedViolation,
  type SimDefects,
  type SimOptions,
} from './simulation.js';
