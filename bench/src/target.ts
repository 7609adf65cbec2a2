import type { HoldfastClient } from '@holdfast/client';
import type { ChangeFeed } from './watch-check.js';
import type { ProxyNetwork } from './proxy.js';

/** The store under test, seen through what the workloads and nemeses need. */

export type TargetKind = 'holdfast' | 'etcd';

export interface KvValue {
  /** null when the key does not exist. */
  value: string | null;
  /** Writes applied to the key since its creation (0 when absent). */
  version: number;
}

/** One client's view of the key-value API. Reads are linearizable. */
export interface KvAdapter {
  get(key: string): Promise<KvValue>;
  /** A read any member may answer from its own state (may be stale); absent: the target has none. */
  getSerializable?(key: string): Promise<KvValue>;
  /** A read any member may answer if its state is at most `maxStalenessMs` behind (the nearest first); absent: none. */
  getBounded?(key: string, maxStalenessMs: number): Promise<KvValue>;
  /** The attempts of the call that just ended ("n2 timeout 1001"), and forgets them; absent: not recorded. */
  takeAttempts?(): string[];
  put(key: string, value: string): Promise<void>;
  /** Swap in `value` if the key holds `expected` (null = absent); false if the compare failed. */
  cas(key: string, expected: string | null, value: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  close(): void;
}

/** What an error says about an operation: it surely did not happen, or it may have. */
export type ErrorCertainty = 'failed' | 'unknown';

export interface TargetCapabilities {
  /** Failpoints for fsync delay/failure and disk full. */
  diskFaults: boolean;
  membership: boolean;
  transferLeadership: boolean;
  /** Members' data files can be damaged while they are stopped (the corruption nemesis). */
  diskCorruption: boolean;
}

export interface TargetStartOptions {
  network: ProxyNetwork;
  runDir: string;
  nodeCount: number;
  /** Region per node id, if any (informational for the target; latency is the proxies'). */
  regions?: Record<string, string>;
  /** Regions the workload's clients live in: each gets its own client proxies (regions.ts). */
  clientRegions?: readonly string[];
}

export interface RestartOptions {
  /** Failpoint flags for the node, e.g. ["fsync-delay-ms=50"]; none = a clean restart. */
  failpoints?: string[];
}

/** One member's own view, from its local status (not gathered from the others). */
export interface MemberHealth {
  role: string;
  leaderId: number;
  commitIndex: number;
  appliedIndex: number;
  /** Alarms the member raises (state hash mismatch, corrupt state...); empty when none. */
  alarms: string[];
  /** The member says it is repairing its log or state from the others, and why. */
  repairing: boolean;
  repairReason: string;
  /** Anything else the status reports as wrong. */
  error: string;
}

/** One page of a range read through a single member. */
export interface MemberPage {
  kvs: { key: string; value: string }[];
  more: boolean;
}

/** Reads through one member only (it answers itself; no redirect to another member). */
export interface MemberReader {
  /** A linearizable range page over every key, after `afterKey` when given. */
  page(options: { afterKey?: string; limit: number }): Promise<MemberPage>;
  close(): void;
}

export interface ClusterTarget {
  readonly kind: TargetKind;
  readonly capabilities: TargetCapabilities;
  /** Current voting members, by bench node id (n1, n2, ...). */
  nodeIds(): string[];
  /** Folder with one log file per node process. */
  logsDir(): string;
  start(options: TargetStartOptions): Promise<void>;
  stop(): Promise<void>;
  /**
   * A client reaching every node through the client proxies; with `region`, through that region's
   * proxies (their delays are the region's, regions.ts) and routed as a client of that region.
   */
  createKv(options: { clientIndex: number; deadlineMs: number; region?: string }): KvAdapter;
  classifyError(error: unknown, options: { write: boolean }): ErrorCertainty;
  /** The current leader's node id, or undefined when none is known / reachable. */
  findLeader(): Promise<string | undefined>;
  isRunning(id: string): boolean;
  /** SIGKILL by default; SIGTERM waits for a graceful stop. */
  kill(id: string, signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  restart(id: string, options?: RestartOptions): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Resolves true if the node process exits within the time. */
  waitForExit(id: string, timeoutMs: number): Promise<boolean>;
  /** Stop the node, remove it from the membership, wipe its data, add it back as a new member. */
  wipeAndRejoin(id: string): Promise<void>;
  /** Remove the member (the process stops). */
  removeMember(id: string): Promise<void>;
  /** Add a removed node back as a new member with empty data (in its region, with --regions). */
  addMember(id: string): Promise<void>;
  /**
   * With --regions: the region the cluster registered member `id` in (undefined until it is
   * registered). Targets without it place members by the id rule (regions.ts regionOf).
   */
  memberRegion?(id: string): string | undefined;
  transferLeadership(toId?: string): Promise<void>;
  /** The member's data directory (disk corruption). */
  dataDirOf?(id: string): string;
  /** The member's process log file (to find why it stopped). */
  logFileOf?(id: string): string;
  /** The member's own status, asked directly (not through the proxies). */
  memberHealth?(id: string, timeoutMs: number): Promise<MemberHealth>;
  /** A reader bound to one member, for auditing what it serves. */
  memberReader?(id: string, deadlineMs: number): MemberReader;
  /**
   * A watch over every key from the first revision, through the client proxies, for the watch
   * check (watch-check.ts). Absent: the target is not checked that way.
   */
  watchChanges?(): ChangeFeed;
  /** An SDK client through the client proxies, for the coordination workloads (holdfast only). */
  createSdkClient?(options: { clientIndex: number; deadlineMs: number }): HoldfastClient;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retry an async action until it resolves or the time runs out (then rethrow the last error). */
export async function retryUntil<T>(options: {
  action: () => Promise<T>;
  timeoutMs: number;
  intervalMs?: number;
}): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await options.action();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw lastError;
    await sleep(options.intervalMs ?? 200);
  }
}
