export { parseDuration, parseWorkloadList, renderComparison, runBenchCli } from './cli.js';
export {
  type CoordinationKind,
  type CoordinationOptions,
  type CoordinationVerdict,
  CoordinationWorkloads,
  FENCED_REGISTER_KEY,
  judgeLeaseRecords,
  staleTokensAccepted,
} from './coordination.js';
export { ETCD_INSTALL_HINT, EtcdTarget, etcdInstalled } from './etcd.js';
export { type BenchOperation, BenchHistory, MonotonicClock } from './history.js';
export { HoldfastTarget } from './holdfast.js';
export { type FaultWindow, NemesisRunner } from './nemesis.js';
export { ZipfianGenerator } from './zipfian.js';
export {
  type AddProxyOptions,
  type DirectionControls,
  type Endpoint,
  type LinkMode,
  ProxyConfigError,
  ProxyNetwork,
  TcpProxy,
} from './proxy.js';
export { loadRegions, REGION_PRESETS, type RegionLayout } from './regions.js';
export { type RegionalCluster, startRegionalCluster } from './local-regions.js';
export { type BenchReport, type BenchVerdict, renderHtml, renderSummaryMarkdown, renderSvg, writeReports } from './report.js';
export { type BenchOptions, type BenchRunResult, runBench } from './run.js';
export {
  generateSchedule,
  NEMESIS_GROUPS,
  NEMESIS_KINDS,
  type NemesisKind,
  parseNemesisList,
  type ScheduledFault,
  type ScheduleOptions,
} from './schedule.js';
export type { ClusterTarget, KvAdapter, KvValue, TargetKind } from './target.js';
export { type WorkloadOptions, DEFAULT_WORKLOAD } from './workload.js';
