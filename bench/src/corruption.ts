import fs from 'node:fs';
import path from 'node:path';
import type { Prng } from '@holdfast/raft';
import { applyDamage, type DamageKind, type DamageRecord, levelFiles, NothingToDamage } from './damage.js';
import type { MonotonicClock } from './history.js';
import { type ClusterTarget, type MemberHealth, sleep } from './target.js';

/**
 * How a damaged member ended:
 * - repaired: running, no alarm, not repairing, caught up with the cluster, and a read through it
 *   succeeded (what it serves is then judged by the checker);
 * - stopped-unsafe: it stopped and its log says it judged repair unsafe (a finding, not a failure);
 * - stopped: it stopped for another reason, or none it told (a failure);
 * - stuck: neither within the repair time (a failure).
 */
export type RepairOutcome = 'repaired' | 'stopped-unsafe' | 'stopped' | 'stuck';

/** One damage done by the corruption nemesis and how the member ended, for the report. */
export interface DamageReport extends DamageRecord {
  member: string;
  /** How the member was stopped before its files were damaged. */
  stop: 'SIGKILL' | 'SIGTERM';
  outcome?: RepairOutcome;
  /** The reason it stopped, or what was still wrong. */
  outcomeDetail?: string;
  /** From the restart to the outcome. */
  outcomeAfterMs?: number;
  /** A member stopped for good is replaced by a new one (as an operator would). */
  replacedBy?: string;
  /**
   * What the member's log said about the damage and its repair (warnings and errors since the
   * restart, first ones first): which layer found the damage. Empty: the member said nothing.
   */
  memberSaid?: string[];
}

/**
 * What a member's log says when it stops because repairing itself from the others would not be
 * safe (for instance the damage needs entries no quorum holds any more): the code or words of
 * that judgement. Anything else that stops a damaged member is a failure of the run.
 */
export const REPAIR_UNSAFE_PATTERN = /repair[- ]unsafe|unsafe to repair|cannot (be )?repair(ed)? safely/i;

/** How long a member restarted to make its state's tables may take to answer its status. */
const STATUS_AFTER_RESTART_MS = 15_000;

/** Outcome of a member audit (reads through that member alone, recorded for the checker). */
export interface AuditSummary {
  ok: boolean;
  keysRead: number;
  detail: string;
}

export interface CorruptionOptions {
  target: ClusterTarget;
  clock: MonotonicClock;
  /** Longest wait, after the damaged member restarted, for it to be repaired or stop. */
  repairTimeoutMs: number;
  /** Reads everything through one member into the history (run.ts); the checker judges them. */
  audit: (member: string, occasion: string) => Promise<AuditSummary>;
}

/** What the nemesis runner needs of one injected damage. */
export interface InjectedDamage {
  report: DamageReport;
  /** The outcome, watched for since the restart, recorded in `report`; true when it is not a failure. */
  settle: () => Promise<boolean>;
}

/**
 * Stops one member, damages its files, restarts it; `settle` then waits until the member is
 * repaired or stopped. One damaged member at a time: a member still neither repaired nor stopped
 * blocks further damage.
 */
export class CorruptionNemesis {
  private readonly options: CorruptionOptions;
  /** A damaged member that was never repaired nor stopped: no other member is damaged after it. */
  private unsettled: string | undefined;
  readonly reports: DamageReport[] = [];

  constructor(options: CorruptionOptions) {
    this.options = options;
  }

  /** Why no damage can be done now, if so. */
  blockedBy(): string | undefined {
    return this.unsettled === undefined ? undefined : `${this.unsettled} is still damaged (neither repaired nor stopped)`;
  }

  async inject(options: { kind: DamageKind; member: string; prng: Prng }): Promise<InjectedDamage> {
    const { target } = this.options;
    const { kind, member, prng } = options;
    if (target.dataDirOf === undefined) throw new NothingToDamage(`${target.kind}: no access to data files`);
    const stop = prng.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
    const tablesMade = kind === 'corrupt-state-table' && (await this.ensureStateTables(member));
    await target.kill(member, stop);
    let damage: DamageRecord;
    try {
      damage = applyDamage(kind, target.dataDirOf(member), prng);
    } catch (error) {
      await target.restart(member);
      throw error;
    }
    const logOffset = logSize(target.logFileOf?.(member));
    const leaderCommit = await this.clusterCommitIndex(member);
    await target.restart(member);
    const restartedAtMs = this.options.clock.nowMs();
    const report: DamageReport = { ...damage, member, stop };
    if (tablesMade) report.detail = `restarted once first (its state had no table yet); ${report.detail}`;
    this.reports.push(report);
    this.unsettled = member;
    // Watched from the restart on, so the time to the outcome is the member's, not the fault's.
    const settled = this.settle({ report, logOffset, leaderCommit, restartedAtMs });
    return { report, settle: () => settled };
  }

  /**
   * A state with no table yet (everything still in LevelDB's write-ahead file) gets one: LevelDB
   * turns the write-ahead file into a table when it reopens, so the member is restarted once and
   * waited for. True when that was needed.
   */
  private async ensureStateTables(member: string): Promise<boolean> {
    const { target } = this.options;
    const dataDir = target.dataDirOf?.(member);
    if (dataDir === undefined || levelFiles(path.join(dataDir, 'kv'), 'ldb').length > 0) return false;
    await target.restart(member);
    const deadline = Date.now() + STATUS_AFTER_RESTART_MS;
    while (Date.now() < deadline) {
      if ((await target.memberHealth?.(member, 1000).catch(() => undefined)) !== undefined) break;
      await sleep(200);
    }
    return true;
  }

  private async settle(context: { report: DamageReport; logOffset: number; leaderCommit: number; restartedAtMs: number }): Promise<boolean> {
    const { report } = context;
    const outcome = await this.awaitOutcome(context);
    report.outcome = outcome.outcome;
    report.outcomeDetail = outcome.detail;
    report.outcomeAfterMs = Math.round(this.options.clock.nowMs() - context.restartedAtMs);
    report.memberSaid = damageLines(this.options.target.logFileOf?.(report.member), context.logOffset);
    if (outcome.outcome !== 'stuck') this.unsettled = undefined;
    if (outcome.outcome === 'stopped' || outcome.outcome === 'stopped-unsafe') await this.replace(report);
    return outcome.outcome === 'repaired' || outcome.outcome === 'stopped-unsafe';
  }

  /** A member that stopped for good is replaced, so the rest of the run has a whole cluster. */
  private async replace(report: DamageReport): Promise<void> {
    const { target } = this.options;
    if (!target.capabilities.membership) return;
    const before = new Set(target.nodeIds());
    try {
      await target.wipeAndRejoin(report.member);
      report.replacedBy = target.nodeIds().find((id) => !before.has(id)) ?? report.member;
    } catch (error) {
      report.outcomeDetail = `${report.outcomeDetail ?? ''}; replacing it failed: ${String(error)}`;
    }
  }

  private async awaitOutcome(context: { report: DamageReport; logOffset: number; leaderCommit: number }): Promise<{
    outcome: RepairOutcome;
    detail: string;
  }> {
    const { target, repairTimeoutMs } = this.options;
    const { member } = context.report;
    const deadline = Date.now() + repairTimeoutMs;
    let lastWrong = 'no status answer yet';
    while (Date.now() < deadline) {
      if (!target.isRunning(member)) return this.stoppedOutcome(member, context.logOffset);
      const health =
        target.memberHealth === undefined
          ? `${target.kind}: no member status`
          : await target.memberHealth(member, 1000).catch((error: unknown) => `status: ${String(error)}`);
      const wrong = typeof health === 'string' ? health : whatIsWrong(health, context.leaderCommit);
      if (wrong === undefined) {
        const audit = await this.options.audit(member, `after ${context.report.kind} of ${context.report.file}`);
        if (audit.ok) return { outcome: 'repaired', detail: `caught up, serving; ${audit.detail}` };
        lastWrong = `audit: ${audit.detail}`;
      } else {
        lastWrong = wrong;
      }
      await sleep(500);
    }
    if (!target.isRunning(member)) return this.stoppedOutcome(member, context.logOffset);
    return { outcome: 'stuck', detail: `after ${repairTimeoutMs} ms: ${lastWrong}` };
  }

  private stoppedOutcome(member: string, logOffset: number): { outcome: RepairOutcome; detail: string } {
    const reason = stopReason(this.options.target.logFileOf?.(member), logOffset);
    if (reason === undefined) return { outcome: 'stopped', detail: 'stopped without a reason in its log' };
    return REPAIR_UNSAFE_PATTERN.test(reason) ? { outcome: 'stopped-unsafe', detail: reason } : { outcome: 'stopped', detail: reason };
  }

  /** The commit index of the cluster without `member`, the point the member must reach again. */
  private async clusterCommitIndex(member: string): Promise<number> {
    const { target } = this.options;
    let highest = 0;
    for (const id of target.nodeIds()) {
      if (id === member || !target.isRunning(id)) continue;
      const health = await target.memberHealth?.(id, 1000).catch(() => undefined);
      highest = Math.max(highest, health?.commitIndex ?? 0);
    }
    return highest;
  }
}

/** Why the member does not count as repaired yet, or undefined when it does. */
export function whatIsWrong(health: MemberHealth, leaderCommit: number): string | undefined {
  if (health.alarms.length > 0) return `alarms: ${health.alarms.join(', ')}`;
  if (health.repairing) return health.repairReason === '' ? 'repairing' : `repairing: ${health.repairReason}`;
  if (health.error !== '') return `status error: ${health.error}`;
  if (health.leaderId === 0) return 'knows no leader';
  if (health.appliedIndex < leaderCommit) return `applied ${health.appliedIndex} < the cluster's commit ${leaderCommit} at its restart`;
  return undefined;
}

function logSize(file: string | undefined): number {
  if (file === undefined || !fs.existsSync(file)) return 0;
  return fs.statSync(file).size;
}

/** Lines a member's log grew by since `offset`. */
function logLinesSince(file: string, offset: number): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8').split('\n').filter((line) => line.trim() !== '');
  } finally {
    fs.closeSync(fd);
  }
}

/** Lines about damage or repair worth keeping per damage; the rest of the log is in logs/. */
const MEMBER_SAID_LINES_MAX = 6;

/** The warnings and errors about damage or repair a member logged since `offset` (pino JSON), first and last ones. */
export function damageLines(file: string | undefined, offset: number): string[] {
  if (file === undefined || !fs.existsSync(file)) return [];
  const said: string[] = [];
  for (const line of logLinesSince(file, offset)) {
    const parsed = parseJsonLine(line);
    if (parsed === undefined || typeof parsed['level'] !== 'number' || parsed['level'] < 40) continue;
    const text = [parsed['msg'], parsed['kind'], parsed['where'], parsed['reason']].filter((p) => typeof p === 'string' && p !== '').join(': ');
    if (!/damage|corrupt|repair|dropped|lost/i.test(text)) continue;
    said.push(truncate(text, 300));
  }
  // The first lines say what was found, the last how it ended (repair finished, or not).
  return said.length <= MEMBER_SAID_LINES_MAX ? said : [...said.slice(0, MEMBER_SAID_LINES_MAX - 1), '…', said.at(-1) as string];
}

/**
 * Why a member stopped, from its log since the restart: the last fatal or error line (pino JSON:
 * its message, code and error), or the failure to start it printed.
 */
export function stopReason(file: string | undefined, offset: number): string | undefined {
  if (file === undefined || !fs.existsSync(file)) return undefined;
  const lines = logLinesSince(file, offset);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] as string;
    if (line.startsWith('holdfast: ')) return truncate(line, 400);
    const parsed = parseJsonLine(line);
    if (parsed === undefined || typeof parsed['level'] !== 'number' || parsed['level'] < 50) continue;
    const parts = [parsed['msg'], parsed['code'], parsed['error'], parsed['err'] === undefined ? undefined : JSON.stringify(parsed['err'])];
    return truncate(parts.filter((p) => p !== undefined && p !== '').join(': '), 400);
  }
  return undefined;
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
