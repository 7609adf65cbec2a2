/**
 * Tools that work on a stopped member's data directory, with no cluster to ask: a backup of its
 * files, and `recover --force-new-cluster`, which turns a survivor of a lost quorum into a
 * one-member cluster under a new cluster id epoch (docs/operations.md, "Back from a lost quorum").
 *
 * Both take the data dir's LevelDB locks (a running member holds them: refused as in use), check
 * the log (every record's checksum, at open), the term and vote's second copy, the state (every
 * record's seal and the hash of them all against the one stored with the applied index) and that
 * log and state agree, as a starting node does (repair.ts), and refuse a damaged data dir or one
 * whose repair has not finished: where a node would repair itself from the others, there are none.
 */
import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { confStateOf, type Entry } from '@holdfast/raft';
import { type BackupSummary, KvStateMachine, LevelLogStorage, LogCorruptionError, StateCorruptionError } from '@holdfast/storage';
import { readClusterIdentity, writeClusterIdentity, nextClusterEpoch } from './cluster-identity.js';
import { inspectBackup, TERM_VOTE_FILE } from './node.js';
import { agreementFindings, describeFindings, openFindings, readRepairMarker } from './repair.js';

/** A running member (or another process) holds the data dir's LevelDB lock. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'data-dir-in-use';
}

/** The data dir is not a member's, or its log or state is damaged. */
export class DataDirDamagedError extends Error {
  override readonly name = 'DataDirDamagedError';
  readonly code = 'data-dir-damaged';
}

/** The recovery cannot be done safely from this data dir as asked. Nothing was changed. */
export class RecoveryRefusedError extends Error {
  override readonly name = 'RecoveryRefusedError';
  readonly code = 'recovery-refused';
}

interface StoppedMember {
  readonly log: LevelLogStorage;
  readonly sm: KvStateMachine;
  close(): Promise<void>;
}

function lockHolderError(error: unknown, dir: string): Error | undefined {
  const code = (error as { cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code;
  if (code !== 'LEVEL_LOCKED') return undefined;
  return new DataDirInUseError(`${dir} is in use (its LevelDB lock is held): stop the member that runs on it first`);
}

/** Opens one of the two databases, mapping a held lock and damage to their errors. */
async function openChecked<T>(dir: string, opening: () => Promise<T>): Promise<T> {
  try {
    return await opening();
  } catch (error) {
    const inUse = lockHolderError(error, dir);
    if (inUse !== undefined) throw inUse;
    if (error instanceof LogCorruptionError || error instanceof StateCorruptionError) {
      throw new DataDirDamagedError(`${dir} is damaged: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Opens a stopped member's log and state and checks both through; the caller closes it. */
async function openStoppedMember(dataDir: string): Promise<StoppedMember> {
  const logDir = join(dataDir, 'log');
  const kvDir = join(dataDir, 'kv');
  if (!existsSync(logDir) || !existsSync(kvDir)) throw new DataDirDamagedError(`${dataDir} holds no member's data (no log/ and kv/ in it)`);
  const marker = await readRepairMarker(dataDir);
  if (marker !== undefined) {
    throw new DataDirDamagedError(`${dataDir} is under repair (${marker.reason}): it does not hold all it acknowledged; use another member's data or a backup`);
  }
  const log = await openChecked(logDir, () => LevelLogStorage.open({ dir: logDir, termVotePath: join(dataDir, TERM_VOTE_FILE) }));
  let sm: KvStateMachine | undefined;
  const close = async (): Promise<void> => {
    await sm?.close().catch(() => undefined);
    await log.close().catch(() => undefined);
  };
  try {
    sm = await openChecked(kvDir, () => KvStateMachine.open({ dir: kvDir }));
    // The checks a starting node runs (repair.ts): where it would repair itself, this refuses.
    const findings = [...openFindings(log, sm), ...agreementFindings(log, sm)];
    if (findings.length > 0) throw new DataDirDamagedError(`${dataDir} is damaged: ${describeFindings(findings)}`);
    await openChecked(kvDir, () => (sm as KvStateMachine).scrub({ recordsPerSecondMax: Number.MAX_SAFE_INTEGER }));
    if (log.isEmpty()) throw new DataDirDamagedError(`${dataDir} holds an empty log: nothing to recover or back up`);
    const opened = sm;
    return { log, sm: opened, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface OfflineBackupResult extends BackupSummary {
  readonly file: string;
  /** The commit index the member knew, which the state was brought up to before the copy. */
  readonly commitIndex: number;
}

/**
 * A backup from a stopped member's files: the state is first brought up to the commit index the
 * member's log records (as the node itself does at start: the state's own writes are not synced,
 * the log's are), then streamed to `file` (written to `file.partial`, synced, renamed) and the
 * file is read back and checked as a restore would check it.
 */
export async function backupStoppedMember(options: { readonly dataDir: string; readonly file: string }): Promise<OfflineBackupResult> {
  const member = await openStoppedMember(options.dataDir);
  const partial = `${options.file}.partial`;
  let commitIndex = 0;
  try {
    commitIndex = member.log.hardState().commit;
    const from = member.sm.appliedIndex + 1;
    if (commitIndex >= from) await member.sm.apply(member.log.entries(from, commitIndex + 1, Number.MAX_SAFE_INTEGER));
    const reader = await member.sm.openSnapshotReader();
    const handle = await open(partial, 'w');
    try {
      for await (const chunk of reader.chunks()) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
      await reader.close();
    }
  } catch (error) {
    await rm(partial, { force: true });
    throw error instanceof StateCorruptionError ? new DataDirDamagedError(`${options.dataDir} is damaged: ${error.message}`, { cause: error }) : error;
  } finally {
    await member.close();
  }
  const summary = await inspectBackup(partial).catch(async (error: unknown) => {
    await rm(partial, { force: true });
    throw error;
  });
  await rename(partial, options.file);
  return { ...summary, file: options.file, commitIndex };
}

export interface RecoverOptions {
  readonly dataDir: string;
  /** This member's id, when the data dir does not say (written by an older release). */
  readonly memberId?: number;
  /** The cluster id the member ran under, when the data dir does not say. */
  readonly clusterId?: string;
  /** The new cluster id; default the old one with its epoch one higher (`prod-kv@2`). */
  readonly newClusterId?: string;
  readonly nowMs?: number;
}

export interface RecoverResult {
  readonly memberId: number;
  readonly oldClusterId: string;
  readonly newClusterId: string;
  /** The commit index the member knew, and the last index it held: every entry up to it is kept. */
  readonly commitIndexBefore: number;
  readonly lastIndexBefore: number;
  /** Members taken out of the membership (by log entries appended after the survivor's log). */
  readonly removed: readonly number[];
  readonly term: number;
  /** The new log's last index, committed. */
  readonly commitIndex: number;
}

function identityOf(
  options: RecoverOptions,
  recorded: { clusterId: string; memberId: number } | undefined,
): { memberId: number; clusterId: string } {
  const memberId = options.memberId ?? recorded?.memberId;
  const clusterId = options.clusterId ?? recorded?.clusterId;
  if (recorded !== undefined && options.memberId !== undefined && options.memberId !== recorded.memberId) {
    throw new RecoveryRefusedError(`${options.dataDir} holds the data of member ${recorded.memberId}, not ${options.memberId}`);
  }
  if (recorded !== undefined && options.clusterId !== undefined && options.clusterId !== recorded.clusterId) {
    throw new RecoveryRefusedError(`${options.dataDir} belongs to cluster ${recorded.clusterId}, not ${options.clusterId}`);
  }
  if (memberId === undefined) throw new RecoveryRefusedError(`${options.dataDir} does not say which member it belongs to: pass --id`);
  if (clusterId === undefined) throw new RecoveryRefusedError(`${options.dataDir} does not say which cluster it belongs to: pass --cluster-id`);
  return { memberId, clusterId };
}

/**
 * Turns a stopped survivor's data into a one-member cluster. Every entry the survivor's log holds
 * is kept and committed, not only those it knew committed: its commit index lags the leader's,
 * so an entry it holds beyond it may have been acknowledged to a client (committed on a majority
 * that is now lost); an entry that was not is one whose client saw no answer (a timeout, an
 * unknown outcome), which may take effect. After them the log gets, at a term above any it saw,
 * a promotion of this member if it was a learner and the removal of every other member, and the
 * hard state commits all of it: the node applies them at start and, alone, leads. The data dir's
 * cluster id moves to a new epoch, written before the log is changed (a recovery interrupted in
 * between leaves the log as it was, under the new id: run it again).
 */
export async function recoverForceNewCluster(options: RecoverOptions): Promise<RecoverResult> {
  const recorded = await readClusterIdentity(options.dataDir).catch((error: unknown) => {
    throw new DataDirDamagedError((error as Error).message, { cause: error });
  });
  const { memberId, clusterId } = identityOf(options, recorded);
  const newClusterId = options.newClusterId ?? nextClusterEpoch(clusterId);
  if (newClusterId === clusterId) throw new RecoveryRefusedError(`the new cluster id must differ from the old one (${clusterId})`);
  const member = await openStoppedMember(options.dataDir);
  try {
    const { log } = member;
    const lastIndexBefore = log.lastIndex();
    const commitIndexBefore = log.hardState().commit;
    const conf = confStateOf(log.entries(log.firstIndex(), lastIndexBefore + 1, Number.MAX_SAFE_INTEGER), log.initialState().confState);
    const isVoter = conf.voters.includes(memberId);
    if (!isVoter && !conf.learners.includes(memberId)) {
      throw new RecoveryRefusedError(`member ${memberId} is not in the membership its log ends with (voters ${conf.voters.join(',') || '-'}, learners ${conf.learners.join(',') || '-'})`);
    }
    const term = Math.max(log.hardState().term, log.term(lastIndexBefore)) + 1;
    const removed = [...conf.voters, ...conf.learners].filter((id) => id !== memberId).sort((a, b) => a - b);
    const changes = [...(isVoter ? [] : [{ type: 'promoteLearner' as const, nodeId: memberId }]), ...removed.map((nodeId) => ({ type: 'removeNode' as const, nodeId }))];
    const entries: Entry[] = changes.map((change, position) => ({ type: 'confChange', term, index: lastIndexBefore + 1 + position, change }));
    const commitIndex = lastIndexBefore + entries.length;
    await writeClusterIdentity(options.dataDir, {
      clusterId: newClusterId,
      memberId,
      recoveredFrom: { clusterId, atMs: options.nowMs ?? Date.now() },
    });
    await log.save({ entries, hardState: { term, vote: memberId, commit: commitIndex }, sync: true });
    return { memberId, oldClusterId: clusterId, newClusterId, commitIndexBefore, lastIndexBefore, removed, term, commitIndex };
  } finally {
    await member.close();
  }
}
