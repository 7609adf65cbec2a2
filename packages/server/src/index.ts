export {
  ConfigError,
  configHelp,
  type Failpoints,
  type LogLevel,
  type MemberConfig,
  type NodeConfig,
  type NodeLimits,
  parseNodeConfig,
} from './config.js';
export { type ErrorKind, HoldfastError, LeaseNotFoundError, LeaseRefusedError, NotLeaderError } from './errors.js';
export { freePort, LocalCluster, type LocalClusterOptions, type LocalMember } from './localCluster.js';
export { inspectBackup, type RunningNode, runNode, startNode } from './node.js';
export { type DriverOptions, DiskFullError, FsyncFailedError, NodeDriver } from './driver.js';
export {
  type Clock,
  type DurableLog,
  type Random,
  type Sender,
  type StateMachine,
  systemClock,
  systemTimers,
  type TimerHandle,
  type Timers,
} from './driver/ports.js';
export { NodeMetrics } from './metrics.js';
export { type RepairHook, StateIntegrity, type StateIntegrityOptions } from './integrity.js';
export { StateHashComparison, type StateHashComparisonOptions, type WireCheckpoint } from './stateHashes.js';
export { type KvOp, type KvResult, type RequestContext, type RequestHost, RequestPath } from './requests.js';
export { LeaseKeeper, type LeaseKeeperOptions } from './leases.js';
export { leaseExtensionMs } from './node.js';
export { type ClusterIdentity, nextClusterEpoch, readClusterIdentity } from './cluster-identity.js';
export {
  backupStoppedMember,
  DataDirDamagedError,
  DataDirInUseError,
  type OfflineBackupResult,
  type RecoverOptions,
  type RecoverResult,
  RecoveryRefusedError,
  recoverForceNewCluster,
} from './offline.js';
export {
  agreementFindings,
  assertRepairPossible,
  type DamageFinding,
  describeFindings,
  openFindings,
  type RepairMarker,
  RepairUnsafeError,
  repairLossTerm,
  restartLogFromState,
} from './repair.js';
