/**
 * Damage to a member's own disk, found at start or later, and its repair from the other members.
 *
 * At start every check below runs; each finding is named, logged with its numbers and never
 * ignored. A member with a finding (or a StateCorruptionError raised later, see
 * `Node.requestRepair`) repairs itself: it writes a synced marker (so a crash mid-repair resumes
 * it), keeps its member id, cluster id, term and vote (the newer of the log's and the term/vote
 * file's), drops what it cannot trust — the log always, the state too when the state is damaged or
 * cannot be matched with the log — and rejoins with votes suspended (the core's `repairing`): the
 * leader forgets what it acknowledged and catches it up by entries or a snapshot; it leaves repair
 * by itself (packages/raft README, "Repair"), and the marker is then removed.
 *
 * Where repair cannot be safe (no other voter holds the log) the member stops with a
 * RepairUnsafeError saying what an operator can do, leaving the damaged data in place.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeId } from '@holdfast/raft';
import {
  type KvStateMachine,
  type LevelLogStorage,
  readFileIfExists,
  removeFileDurably,
  writeFileDurably,
} from '@holdfast/storage';

export type DamageKind =
  /** LevelDB dropped records of the log's write-ahead file at open (its LOG file says so). */
  | 'log-dropped-records'
  /** The log's last records failed their checksums at open and were cut: they may have been acknowledged. */
  | 'log-tail-cut'
  /** The log holds entries or a snapshot but lost its hard state record (commit index and vote) at rest. */
  | 'log-hard-state-lost'
  /** LevelDB dropped records of the state's write-ahead file at open. */
  | 'state-dropped-records'
  /** The state machine applied entries the log no longer holds: the log lost synced entries. */
  | 'applied-past-log-end'
  /** The hard state commits entries the log no longer holds. */
  | 'commit-past-log-end'
  /** The state is behind the log's compaction point: the state lost synced records. */
  | 'applied-below-log-start'
  /** The state's applied term differs from the log's term at that index: one of them is wrong. */
  | 'applied-term-mismatch'
  /** The log does not open: a damaged record, a gap, LevelDB corruption. */
  | 'log-unreadable'
  /** The state does not open: a record fails its checksum or does not decode. */
  | 'state-unreadable'
  /** The second copy of term and vote is damaged or names another vote in the same term. */
  | 'term-vote-disagrees'
  /** Damage found while running (a state record failing its checksum, a state hash mismatch). */
  | 'state-damaged';

export interface DamageFinding {
  readonly kind: DamageKind;
  readonly detail: string;
  /** The state machine cannot be trusted either: repair drops it and takes a snapshot. */
  readonly stateUntrusted: boolean;
}

export interface RepairMarker {
  /** One line for status and logs: the findings that started the repair. */
  readonly reason: string;
  readonly findings: readonly DamageFinding[];
  readonly startedAtMs: number;
  /**
   * 'wipe': the untrusted data may still be on disk (a crash came before the wipe finished): do
   * it again. 'rejoin': wiped; the member is catching up with votes suspended.
   */
  readonly phase: 'wipe' | 'rejoin';
  /** The state is dropped too (not only the log). */
  readonly dropState: boolean;
  /**
   * The newest term this member could have acknowledged entries in before it lost them, when a
   * copy the loss did not touch says it (the term/vote file read intact at the start that found
   * the loss, or the running core's term for damage found while running); undefined when unknown.
   * Given to the core as `repairLossTerm`: the member in repair may then vote for candidates whose
   * last log term is above it (packages/raft README, "Repair").
   */
  readonly lossTerm?: number;
}

const MARKER_FILE = 'repair.json';

export function repairMarkerPath(dataDir: string): string {
  return join(dataDir, MARKER_FILE);
}

/**
 * The member's repair marker, or undefined. A marker that does not parse still means a repair was
 * under way: it is read as one that drops everything.
 */
export async function readRepairMarker(dataDir: string): Promise<RepairMarker | undefined> {
  const bytes = await readFileIfExists(repairMarkerPath(dataDir));
  if (bytes === undefined) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<RepairMarker>;
    if ((parsed.phase === 'wipe' || parsed.phase === 'rejoin') && typeof parsed.reason === 'string' && typeof parsed.dropState === 'boolean') {
      return {
        reason: parsed.reason,
        findings: Array.isArray(parsed.findings) ? parsed.findings : [],
        startedAtMs: typeof parsed.startedAtMs === 'number' ? parsed.startedAtMs : 0,
        phase: parsed.phase,
        dropState: parsed.dropState,
        ...(isTerm(parsed.lossTerm) ? { lossTerm: parsed.lossTerm } : {}),
      };
    }
  } catch {
    // Fall through: unreadable.
  }
  return { reason: 'the repair marker is unreadable', findings: [], startedAtMs: 0, phase: 'wipe', dropState: true };
}

function isTerm(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * The loss term of a repair that starts (or widens) now: the member's term at this start, known
 * only when its term/vote file read intact (`termVoteTrusted`): the log that lost entries may have
 * lost its newest hard state with them, while the file is written, synced, before any
 * acknowledgement in a new term. A repair under way whose loss term is unknown stays unknown.
 */
export function repairLossTerm(options: { previous: RepairMarker | undefined; termVoteTrusted: boolean; termNow: number }): number | undefined {
  const { previous, termVoteTrusted, termNow } = options;
  if (!termVoteTrusted || !isTerm(termNow)) return undefined;
  if (previous === undefined) return termNow;
  return previous.lossTerm === undefined ? undefined : Math.max(previous.lossTerm, termNow);
}

export async function writeRepairMarker(dataDir: string, marker: RepairMarker): Promise<void> {
  await writeFileDurably(repairMarkerPath(dataDir), new TextEncoder().encode(`${JSON.stringify(marker)}\n`));
}

export async function removeRepairMarker(dataDir: string): Promise<void> {
  await removeFileDurably(repairMarkerPath(dataDir));
}

/** Repair would not be safe: nothing was changed on disk; the message says what to do. */
export class RepairUnsafeError extends Error {
  override readonly name = 'RepairUnsafeError';
  readonly code = 'repair-unsafe';
}

/** What LevelDB reported dropping at open, and the term/vote copies' disagreement. */
export function openFindings(log: LevelLogStorage | undefined, sm: KvStateMachine | undefined): DamageFinding[] {
  const findings: DamageFinding[] = [];
  if (log !== undefined && (log.droppedAtOpen.bytes > 0 || log.droppedAtOpen.reports.length > 0)) {
    findings.push({
      kind: 'log-dropped-records',
      detail: `LevelDB dropped ${log.droppedAtOpen.bytes} bytes of the log at ${log.path} at open: ${log.droppedAtOpen.reports.join(' | ')}`,
      stateUntrusted: false,
    });
  }
  const tailCut = log?.tailCutAtOpen;
  if (tailCut !== undefined) {
    findings.push({
      kind: 'log-tail-cut',
      detail: `entries ${tailCut.fromIndex}..${tailCut.toIndex} of the log at ${log?.path} failed their checksums at open and were cut (${tailCut.reasons.join(' | ')}): they may have been acknowledged`,
      stateUntrusted: false,
    });
  }
  const hardStateLost = log?.hardStateLostAtOpen;
  if (hardStateLost !== undefined) {
    findings.push({
      kind: 'log-hard-state-lost',
      detail: `${hardStateLost} at ${log?.path}: its commit index and vote were lost (term and vote taken from the term/vote file)`,
      stateUntrusted: false,
    });
  }
  if (sm !== undefined && (sm.droppedAtOpen.bytes > 0 || sm.droppedAtOpen.reports.length > 0)) {
    findings.push({
      kind: 'state-dropped-records',
      detail: `LevelDB dropped ${sm.droppedAtOpen.bytes} bytes of the state at ${sm.path} at open: ${sm.droppedAtOpen.reports.join(' | ')}`,
      stateUntrusted: true,
    });
  }
  const termVoteProblem = log?.termVoteAtOpen.problem;
  if (termVoteProblem !== undefined) {
    findings.push({ kind: 'term-vote-disagrees', detail: termVoteProblem, stateUntrusted: false });
  }
  return findings;
}

/** The log and the state must agree: the state never applied past what the log holds. */
export function agreementFindings(log: LevelLogStorage, sm: KvStateMachine): DamageFinding[] {
  const findings: DamageFinding[] = [];
  const applied = sm.appliedIndex;
  const lastIndex = log.lastIndex();
  const baseIndex = log.firstIndex() - 1;
  if (applied > lastIndex) {
    findings.push({
      kind: 'applied-past-log-end',
      detail: `the state applied index ${applied} is past the log's last index ${lastIndex}: the log lost entries it had synced`,
      stateUntrusted: false,
    });
  } else if (applied < baseIndex) {
    findings.push({
      kind: 'applied-below-log-start',
      detail: `the state applied index ${applied} is below the log's compaction point ${baseIndex}: the state lost records it had synced`,
      stateUntrusted: true,
    });
  } else if (applied > 0) {
    const logTerm = log.term(applied);
    if (logTerm !== sm.appliedTerm) {
      findings.push({
        kind: 'applied-term-mismatch',
        detail: `the state applied index ${applied} at term ${sm.appliedTerm}, but the log holds term ${logTerm} there`,
        stateUntrusted: true,
      });
    }
  }
  return findings;
}

/** One line naming the findings, for the marker, status and logs. */
export function describeFindings(findings: readonly DamageFinding[]): string {
  return findings.map((finding) => `${finding.kind}: ${finding.detail}`).join('; ');
}

/**
 * Throws RepairUnsafeError when no other voter can hold what this member lost: it is the only
 * voter (a single-member cluster), so no leader can exist to repair it from.
 */
export function assertRepairPossible(options: { selfId: NodeId; voters: readonly NodeId[]; reason: string; dataDir: string }): void {
  const others = options.voters.filter((id) => id !== options.selfId);
  if (others.length > 0) return;
  throw new RepairUnsafeError(
    `this member cannot be repaired safely: it is the only voter of its cluster, so no other member holds the log it lost (${options.reason}). ` +
      `Nothing was changed in ${options.dataDir}. Restore from a backup into a new data directory (--restore-backup), ` +
      'or, accepting the loss of the damaged writes, move the data directory aside and start from a copy (docs/operations.md, "Repair").',
  );
}

/**
 * Drops what the repair cannot trust: the log always, the state when `dropState`. Databases must be
 * closed. What is dropped is moved aside as `<dir>.damaged` (replacing an older copy), for a
 * post-mortem: a state hash in the minority has no checksum to show what went wrong.
 */
export async function wipeUntrusted(options: { logDir: string; stateDir: string; dropState: boolean }): Promise<void> {
  await moveAside(options.logDir);
  if (!options.dropState) return;
  await moveAside(options.stateDir);
  // Leftovers of an interrupted snapshot restore would be finished or rolled back into place at
  // the next open: drop them with the state.
  for (const leftover of [`${options.stateDir}.old`, `${options.stateDir}.incoming`]) await rm(leftover, { recursive: true, force: true });
}

async function moveAside(dir: string): Promise<void> {
  const aside = `${dir}.damaged`;
  await rm(aside, { recursive: true, force: true });
  try {
    await rename(dir, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * A log rebuilt from a trusted state: a snapshot at the state's applied index (every entry up to
 * it was committed, hence held by a quorum), with the kept term and vote. Nothing to do for an
 * empty state: the log stays empty and the leader sends entries or a snapshot from the start.
 */
export async function restartLogFromState(log: LevelLogStorage, sm: KvStateMachine): Promise<void> {
  const index = sm.appliedIndex;
  if (index === 0) return;
  const { term, vote } = log.hardState();
  await log.save({
    snapshot: { meta: { index, term: sm.appliedTerm, confState: sm.confState }, data: new Uint8Array() },
    hardState: { term, vote, commit: index },
    entries: [],
    sync: true,
  });
}
