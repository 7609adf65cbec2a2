/**
 * The watch's prevKv check. The bench's watch over every key asks for prevKv and starts at
 * revision 1, so it must tell every change of every key (watch-check.ts holds it to the
 * acknowledged history: none missing, none twice, none no write made). Then the key as it was just
 * before a change is the previous change the watch told for that key, and every event's prevKv
 * must be exactly that: the same value and mod revision, absent when the key did not exist (never
 * written, or deleted last). A prevKv naming a later revision than the last change told for the
 * key is a gap (the key changed at a revision the watch skipped); another difference is a wrong
 * prevKv.
 *
 * Independently of the watch, a sample of events is compared at the end with a read of the key at
 * revision - 1 from the key history (`get --rev`): the member's history must agree with what the
 * event carried.
 */
import type { WatchedChange } from './watch-check.js';

/** The key as a read at a past revision found it. */
export type ReadAtRevision = { readonly found: false } | { readonly found: true; readonly value: string; readonly modRevision: number };

export interface PrevKvVerdict {
  /** Events judged, and how many carried a prevKv. */
  events: number;
  withPrev: number;
  /** Events whose prevKv was the previous change the watch told for the key. */
  agreed: number;
  /** Wrong prevKv: another value, or the version before the previous change (the first few, and how many). */
  wrong: string[];
  wrongCount: number;
  /** prevKv names a revision the watch never told for the key (a skipped change). */
  gaps: string[];
  gapCount: number;
  /** Changes told with no prevKv although the key existed before them. */
  missing: string[];
  missingCount: number;
  /** The reads at revision - 1 at the end. */
  reads: { sampled: number; agreed: number; disagreed: string[]; disagreedCount: number; unreadable: number; firstError?: string };
}

const SHOWN_MAX = 20;

interface Version {
  readonly value: string;
  readonly modRevision: number;
}

function describe(change: WatchedChange): string {
  return `${change.type} ${change.key}@${change.revision}`;
}

function show(version: Version | undefined): string {
  return version === undefined ? 'none' : `${JSON.stringify(version.value)}@${version.modRevision}`;
}

/** What the key held just before each change, from the changes told before it. */
export function judgePrevKvChain(changes: readonly WatchedChange[], ignoreKey: (key: string) => boolean = () => false): Omit<PrevKvVerdict, 'reads'> {
  const current = new Map<string, Version>();
  const wrong: string[] = [];
  const gaps: string[] = [];
  const missing: string[] = [];
  let events = 0;
  let withPrev = 0;
  let agreed = 0;
  for (const change of changes) {
    const expected = current.get(change.key);
    if (change.type === 'put') current.set(change.key, { value: change.value, modRevision: change.revision });
    else current.delete(change.key);
    if (ignoreKey(change.key)) continue;
    events += 1;
    const prev = change.prev;
    if (prev !== undefined) withPrev += 1;
    if (prev === undefined && expected === undefined) {
      agreed += 1;
      continue;
    }
    if (prev === undefined) {
      missing.push(`${describe(change)}: no prevKv, the watch told ${show(expected)} before`);
      continue;
    }
    if (expected === undefined || prev.modRevision > expected.modRevision) {
      gaps.push(`${describe(change)}: prevKv ${show(prev)}, the watch told ${show(expected)} before`);
      continue;
    }
    if (prev.modRevision !== expected.modRevision || prev.value !== expected.value) {
      wrong.push(`${describe(change)}: prevKv ${show(prev)}, the watch told ${show(expected)} before`);
      continue;
    }
    agreed += 1;
  }
  return {
    events,
    withPrev,
    agreed,
    wrong: wrong.slice(0, SHOWN_MAX),
    wrongCount: wrong.length,
    gaps: gaps.slice(0, SHOWN_MAX),
    gapCount: gaps.length,
    missing: missing.slice(0, SHOWN_MAX),
    missingCount: missing.length,
  };
}

/** Up to `count` changes spread evenly over the run (those at revision 1 have nothing before them to read). */
export function sampleChanges(changes: readonly WatchedChange[], count: number, ignoreKey: (key: string) => boolean = () => false): WatchedChange[] {
  const candidates = changes.filter((change) => change.revision > 1 && !ignoreKey(change.key));
  if (candidates.length <= count) return candidates;
  const step = candidates.length / count;
  return Array.from({ length: count }, (_, i) => candidates[Math.floor(i * step)] as WatchedChange);
}

/**
 * Compares each sampled change's prevKv with a read of its key at revision - 1. A read that
 * fails (the history compacted there, a member unreachable) is counted unreadable, not judged.
 */
export async function judgePrevKvReads(options: {
  sample: readonly WatchedChange[];
  readAt: (key: string, revision: number) => Promise<ReadAtRevision>;
  /** Give up (counting the rest unreadable) after this long. */
  budgetMs: number;
}): Promise<PrevKvVerdict['reads']> {
  const deadline = Date.now() + options.budgetMs;
  const disagreed: string[] = [];
  let agreed = 0;
  let unreadable = 0;
  let firstError: string | undefined;
  for (const change of options.sample) {
    if (Date.now() > deadline) {
      unreadable += 1;
      continue;
    }
    let read: ReadAtRevision;
    try {
      read = await options.readAt(change.key, change.revision - 1);
    } catch (error) {
      unreadable += 1;
      firstError ??= String(error);
      continue;
    }
    const prev = change.prev;
    const same = read.found ? prev !== undefined && prev.value === read.value && prev.modRevision === read.modRevision : prev === undefined;
    if (same) agreed += 1;
    else disagreed.push(`${describe(change)}: prevKv ${show(prev)}, read at ${change.revision - 1}: ${read.found ? show(read) : 'none'}`);
  }
  return {
    sampled: options.sample.length,
    agreed,
    disagreed: disagreed.slice(0, SHOWN_MAX),
    disagreedCount: disagreed.length,
    unreadable,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Why the prevKv check failed, one line per reason (none: it passed or was not run). */
export function prevKvFailures(verdict: PrevKvVerdict | undefined): string[] {
  if (verdict === undefined) return [];
  const failures: string[] = [];
  if (verdict.wrongCount > 0) failures.push(`${verdict.wrongCount} watch event(s) with a wrong prevKv`);
  if (verdict.gapCount > 0) failures.push(`${verdict.gapCount} watch event(s) whose prevKv names a change the watch skipped`);
  if (verdict.missingCount > 0) failures.push(`${verdict.missingCount} watch event(s) without the prevKv of a key that existed`);
  if (verdict.reads.disagreedCount > 0) failures.push(`${verdict.reads.disagreedCount} prevKv(s) disagree with a read at revision - 1`);
  return failures;
}
