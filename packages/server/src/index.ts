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
export { type ErrorKind, HoldfastError } from './errors.js';
export { freePort, LocalCluster, type LocalClusterOptions, type LocalMember } from './localCluster.js';
export { inspectBackup, type RunningNode, runNode, startNode } from './node.js';
