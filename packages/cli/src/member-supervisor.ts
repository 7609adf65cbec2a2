/** What the supervisor needs of a local cluster (LocalCluster, or a fake in tests). */
export interface SupervisedCluster {
  readonly members: readonly { id: number; name: string; removed: boolean; logFile: string }[];
  isRunning(id: number): boolean;
  /** The last process's exit code; null if a signal ended it. */
  exitCode(id: number): number | null;
  startMember(id: number): void;
}

export type MemberEvent =
  | {
      event: 'member-exited';
      id: number;
      name: string;
      exitCode: number | null;
      logFile: string;
      /** When it is started again; undefined: it stays down (--no-restart). */
      restartInMs: number | undefined;
    }
  | { event: 'member-restarted'; id: number; name: string }
  | { event: 'member-restart-failed'; id: number; name: string; message: string };

export interface SupervisorOptions {
  /** Start a member that exited again (with backoff), or leave it down. */
  restart: boolean;
  report(event: MemberEvent): void;
  /** How often members are looked at. Default 250 ms. */
  checkIntervalMs?: number;
  /** First wait before a restart; doubles for each restart in a row, up to backoffMaxMs. Default 1 s. */
  backoffBaseMs?: number;
  /** Default 30 s. */
  backoffMaxMs?: number;
  /** A member that stays up this long after a restart starts its backoff afresh. Default 60 s. */
  stableMs?: number;
}

const defaults = { checkIntervalMs: 250, backoffBaseMs: 1000, backoffMaxMs: 30_000, stableMs: 60_000 };

/**
 * Watches the members `cluster up` started: a member that exits is reported at once (with its
 * exit code and log file) and, unless told not to, started again after a backoff that doubles
 * while it keeps exiting, so a member that cannot start does not spin.
 *
 * Invariant: a member is in at most one of `pendingRestarts` and `leftDown`, and in neither
 * while it runs.
 */
export class MemberSupervisor {
  private readonly cluster: SupervisedCluster;
  private readonly options: Required<SupervisorOptions>;
  private readonly pendingRestarts = new Map<number, NodeJS.Timeout>();
  private readonly leftDown = new Set<number>();
  /** Restarts in a row per member, and when the last one happened. */
  private readonly restarts = new Map<number, { inARow: number; atMs: number }>();
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(cluster: SupervisedCluster, options: SupervisorOptions) {
    this.cluster = cluster;
    this.options = { ...defaults, ...options };
  }

  start(): void {
    this.interval = setInterval(() => this.check(), this.options.checkIntervalMs);
  }

  /** Stops watching (before the cluster is stopped on purpose); cancels pending restarts. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
  }

  /** Looks at every member once; exported for tests that drive it step by step. */
  check(): void {
    if (this.stopped) return;
    for (const member of this.cluster.members) {
      if (member.removed || this.pendingRestarts.has(member.id) || this.leftDown.has(member.id)) continue;
      if (this.cluster.isRunning(member.id)) continue;
      this.handleExit(member);
    }
  }

  private handleExit(member: SupervisedCluster['members'][number]): void {
    const restartInMs = this.options.restart ? this.backoffMs(member.id) : undefined;
    const exitCode = this.cluster.exitCode(member.id);
    this.options.report({ event: 'member-exited', id: member.id, name: member.name, exitCode, logFile: member.logFile, restartInMs });
    if (restartInMs === undefined) {
      this.leftDown.add(member.id);
      return;
    }
    const timer = setTimeout(() => this.restartMember(member), restartInMs);
    this.pendingRestarts.set(member.id, timer);
  }

  private restartMember(member: SupervisedCluster['members'][number]): void {
    this.pendingRestarts.delete(member.id);
    if (this.stopped) return;
    const previous = this.restarts.get(member.id);
    this.restarts.set(member.id, { inARow: (previous?.inARow ?? 0) + 1, atMs: Date.now() });
    try {
      this.cluster.startMember(member.id);
    } catch (error) {
      this.options.report({ event: 'member-restart-failed', id: member.id, name: member.name, message: (error as Error).message });
      return;
    }
    this.options.report({ event: 'member-restarted', id: member.id, name: member.name });
  }

  /** base * 2^(restarts in a row), capped; a member that stayed up stableMs starts afresh. */
  private backoffMs(id: number): number {
    const previous = this.restarts.get(id);
    const inARow = previous !== undefined && Date.now() - previous.atMs < this.options.stableMs ? previous.inARow : 0;
    if (inARow === 0) this.restarts.delete(id);
    return Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** Math.min(inARow, 30));
  }
}

/** One line for stderr. */
export function describeMemberEvent(event: MemberEvent): string {
  const who = `member ${event.id} (${event.name})`;
  switch (event.event) {
    case 'member-exited': {
      const how = event.exitCode === null ? 'was killed by a signal' : `exited with status ${event.exitCode}`;
      const next = event.restartInMs === undefined ? 'it stays down (--no-restart)' : `restarting it in ${event.restartInMs / 1000} s`;
      return `holdfast: ${who} ${how} (log: ${event.logFile}); ${next}`;
    }
    case 'member-restarted':
      return `holdfast: ${who} restarted`;
    case 'member-restart-failed':
      return `holdfast: ${who} could not be restarted: ${event.message}`;
  }
}
