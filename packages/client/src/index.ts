export {
  type AddLearnerRequest,
  type Backup,
  type CallOptions,
  type ClientOptions,
  type TlsOptions,
  createClient,
  HoldfastClient,
  type RetryOptions,
  type Placement,
  type StatusResult,
} from './client.js';
export {
  discoverEndpoints,
  ENDPOINTS_VARIABLE,
  endpointsFromClusterFile,
  type FindEndpointsOptions,
  type FoundEndpoints,
  findEndpoints,
  LOCAL_CLUSTER_FILE,
  splitEndpoints,
} from './endpoints.js';
export {
  AbortedError,
  ClientClosedError,
  CompareFailedError,
  DeadlineExceededError,
  errorFromStatus,
  type GrpcStatusCause,
  HoldfastError,
  type HoldfastErrorCode,
  InternalError,
  StateCorruptError,
  InvalidArgumentError,
  KeyTooLargeError,
  LeaseExistsError,
  LeaseKeysExceededError,
  LeaseLostError,
  LeaseNotFoundError,
  LeasesExceededError,
  StaleFenceError,
  NotLeaderError,
  OverloadedError,
  PermissionDeniedError,
  QuotaExceededError,
  TooManyLoginsError,
  UnauthenticatedError,
  RequestTooLargeError,
  UnavailableError,
  UnreachableError,
  ValueTooLargeError,
  WatchCompactedError,
} from './errors.js';
export {
  type ConcurrencyClient,
  Election,
  type ElectionLeader,
  type ElectionOptions,
  FENCE_KEY_PREFIX,
  fence,
  type LockHolder,
  type LockOptions,
} from './concurrency.js';
export {
  type KeepAliveAck,
  type KeepAliveOptions,
  LeaseKeepAlive,
  type LeaseGrantResult,
  type LeaseRevokeResult,
  type LeaseStatus,
  type LeaseTimeToLiveResult,
} from './leases.js';
export type { Credentials } from './credentials.js';
export type { AuthPermission, AuthRoleInfo, AuthStatusInfo, AuthUserInfo } from './auth.js';
export type { FollowerProgress, Member, MemberStatus, PeerRtt } from './members.js';
export type {
  Consistency,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  PutOptions,
  PutResult,
  RangeOptions,
  RangeResult,
  RangeSelector,
} from './requests.js';
export {
  type Compare,
  type CompareOperator,
  type CompareTarget,
  compare,
  op,
  type TxnOp,
  type TxnOpResult,
  type TxnRequest,
  type TxnResult,
} from './txn.js';
export { type Bytes, bytesToString, KeyValue, type ResponseHeader } from './values.js';
export { Watch, type WatchBatch, type WatchEvent, type WatchOptions } from './watch.js';
