/**
 * The watch workload (`--workload watch`, holdfast only): workers open watches with prevKv on one
 * prefix (the register keys `r/`, the coordination keys `coord/`, or every key) from a revision in
 * the recent past (so the first changes come from the key history on disk, the rest as they are
 * applied, across member failures), read them for a few seconds and close. Each session must tell
 * exactly what the bench's watch over every key told for those keys, from its start revision up
 * to the last revision it reported complete: the same changes in the same order, none left out
 * (a gap), none added, each with the same prevKv (which prevkv-check.ts holds to the history).
 */
import type { HoldfastClient } from '@holdfast/client';
import { sleep } from './target.js';
import type { WatchedChange } from './watch-check.js';

/** One watch the workload opened and closed. */
export interface WatchSession {
  readonly worker: number;
  readonly prefix: string;
  readonly startRevision: number;
  /** Every change of the prefix up to this revision was told (the last batch's revision; start - 1 when none came). */
  endRevision: number;
  readonly changes: WatchedChange[];
  error?: string;
}

export interface WatchSessionsVerdict {
  sessions: number;
  /** Sessions judged (those the reference watch covers), and the changes they told. */
  judged: number;
  changes: number;
  /** Sessions whose changes differ from the reference (the first few, with the first difference). */
  differing: string[];
  differingCount: number;
  /** Sessions that ended on an error. */
  errors: string[];
  errorCount: number;
  /** How far back the sessions started: revisions behind the newest one when they opened (max). */
  startBehindMax: number;
}

/** Prefixes a session watches; '' is every key. */
export const WATCH_PREFIXES = ['r/', 'coord/', ''] as const;
/** How far back a session may start, in revisions. */
const START_BEHIND_MAX = 2000;
const SHOWN_MAX = 10;

function same(a: WatchedChange, b: WatchedChange): boolean {
  return (
    a.type === b.type &&
    a.key === b.key &&
    a.value === b.value &&
    a.revision === b.revision &&
    a.prev?.value === b.prev?.value &&
    a.prev?.modRevision === b.prev?.modRevision
  );
}

function show(change: WatchedChange | undefined): string {
  if (change === undefined) return 'nothing';
  const prev = change.prev === undefined ? 'no prevKv' : `prevKv ${JSON.stringify(change.prev.value)}@${change.prev.modRevision}`;
  return `${change.type} ${change.key}=${JSON.stringify(change.value)}@${change.revision} (${prev})`;
}

/**
 * Judges each session against the reference (the watch over every key from revision 1, told up
 * to `referenceEndRevision`). Sessions reaching past that are not judged.
 */
export function judgeWatchSessions(options: {
  sessions: readonly WatchSession[];
  reference: readonly WatchedChange[];
  referenceEndRevision: number;
  startBehind?: readonly number[];
}): WatchSessionsVerdict {
  const differing: string[] = [];
  const errors: string[] = [];
  let judged = 0;
  let changes = 0;
  for (const session of options.sessions) {
    if (session.error !== undefined) errors.push(`worker ${session.worker} prefix '${session.prefix}' from ${session.startRevision}: ${session.error}`);
    if (session.endRevision > options.referenceEndRevision) continue;
    judged += 1;
    changes += session.changes.length;
    const expected = options.reference.filter(
      (change) => change.key.startsWith(session.prefix) && change.revision >= session.startRevision && change.revision <= session.endRevision,
    );
    const told = session.changes.filter((change) => change.revision <= session.endRevision);
    const length = Math.max(expected.length, told.length);
    for (let i = 0; i < length; i++) {
      if (expected[i] !== undefined && told[i] !== undefined && same(expected[i] as WatchedChange, told[i] as WatchedChange)) continue;
      differing.push(
        `worker ${session.worker} prefix '${session.prefix}' revisions ${session.startRevision}..${session.endRevision}: change ${i + 1} told ${show(told[i])}, the watch over every key told ${show(expected[i])}`,
      );
      break;
    }
  }
  return {
    sessions: options.sessions.length,
    judged,
    changes,
    differing: differing.slice(0, SHOWN_MAX),
    differingCount: differing.length,
    errors: errors.slice(0, SHOWN_MAX),
    errorCount: errors.length,
    startBehindMax: Math.max(0, ...(options.startBehind ?? [])),
  };
}

export function watchSessionFailures(verdict: WatchSessionsVerdict | undefined): string[] {
  if (verdict === undefined) return [];
  const failures: string[] = [];
  if (verdict.differingCount > 0) failures.push(`watch: ${verdict.differingCount} watch session(s) told other changes than the watch over every key: ${verdict.differing.slice(0, 2).join('; ')}`);
  if (verdict.errorCount > 0) failures.push(`watch: ${verdict.errorCount} watch session(s) ended on an error: ${verdict.errors.slice(0, 2).join('; ')}`);
  if (verdict.judged === 0) failures.push('watch: no watch session could be judged');
  return failures;
}

/** One worker: sessions until stopped. */
export async function runWatchWorker(context: {
  worker: number;
  client: HoldfastClient;
  random: () => number;
  stopping: () => boolean;
  sessions: WatchSession[];
  startBehind: number[];
}): Promise<void> {
  const { client, random } = context;
  while (!context.stopping()) {
    let newest: number;
    try {
      newest = (await client.range({ prefix: 'r/' }, { limit: 1, deadlineMs: 2000 })).header.revision;
    } catch {
      await sleep(200);
      continue;
    }
    const behind = Math.floor(random() * Math.min(START_BEHIND_MAX, newest));
    const startRevision = Math.max(1, newest - behind);
    const prefix = WATCH_PREFIXES[Math.floor(random() * WATCH_PREFIXES.length)] ?? '';
    const session: WatchSession = { worker: context.worker, prefix, startRevision, endRevision: startRevision - 1, changes: [] };
    context.sessions.push(session);
    context.startBehind.push(newest - startRevision);
    const selector = prefix === '' ? { start: '\u0000', end: '\u0000' } : { prefix };
    const watch = client.watch(selector, { startRevision, prevKv: true, idleTimeoutMs: 3000 });
    const timer = setTimeout(() => watch.close(), 1000 + Math.floor(random() * 4000));
    try {
      for await (const batch of watch) {
        for (const event of batch.events) {
          const prev = event.prevKv === undefined ? {} : { prev: { value: event.prevKv.valueString(), modRevision: event.prevKv.modRevision } };
          session.changes.push({ type: event.type, key: event.kv.keyString(), value: event.kv.valueString(), revision: event.kv.modRevision, ...prev });
        }
        session.endRevision = batch.revision;
        if (context.stopping()) watch.close();
      }
    } catch (error) {
      session.error = String(error);
    } finally {
      clearTimeout(timer);
      watch.close();
    }
  }
}
