/**
 * The watch check: one watch over every key runs through the whole bench (from revision 1, through
 * the client proxies, so it lives through every fault the workload does), and must tell exactly the
 * changes the history allows: every acknowledged write once, nothing twice, nothing no write made,
 * in revision order. Written values are unique per run, so a change names the write it came from.
 */
import { type BenchOperation, isAcknowledgedWrite, writtenValue } from './history.js';

/** One change a watch told. */
export interface WatchedChange {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
  readonly revision: number;
  /** The event's prevKv (with a feed that asks for it): the key before the change. */
  readonly prev?: { readonly value: string; readonly modRevision: number };
}

/** A running watch the bench reads at the end. */
export interface ChangeFeed {
  readonly changes: readonly WatchedChange[];
  /** Set when the watch ended with an error (it is meant to run until closed). */
  readonly error: unknown;
  /** The watch asked for prevKv: every event carries the key as it was before (prevkv-check.ts). */
  readonly withPrevKv?: boolean;
  close(): void;
}

export interface WatchVerdict {
  judged: boolean;
  reason?: string;
  changes: number;
  /** Acknowledged writes the watch never told (key and value; the first few, and how many). */
  missing: string[];
  missingCount: number;
  /** Changes told more than once. */
  repeated: string[];
  repeatedCount: number;
  /** Changes that no write in the history (acknowledged or of unknown outcome) could have made. */
  phantom: string[];
  phantomCount: number;
  /** Changes told after one of a higher revision. */
  outOfOrder: number;
  /** The error the watch ended with, if it did. */
  error?: string;
}

const SHOWN_MAX = 20;

export function judgeWatch(options: {
  changes: readonly WatchedChange[];
  operations: readonly BenchOperation[];
  /** Keys the bench itself wrote outside the history (the end marker). */
  ignoreKeys: ReadonlySet<string>;
  /** Keys written outside the history (the coordination workloads'), left out too. */
  ignoreKey?: (key: string) => boolean;
  error?: unknown;
}): WatchVerdict {
  const { changes, operations, ignoreKeys, ignoreKey } = options;
  const possible = new Set<string>();
  const deletable = new Set<string>();
  const acknowledged: string[] = [];
  for (const operation of operations) {
    if (operation.outcome === 'failed') continue;
    if (operation.input.kind === 'delete') deletable.add(operation.key);
    const value = writtenValue(operation);
    if (value === undefined) continue;
    // An acknowledged compare-and-swap whose compare failed wrote nothing.
    const notSwapped = operation.outcome === 'ok' && operation.input.kind === 'cas' && !isAcknowledgedWrite(operation);
    if (!notSwapped) possible.add(`${operation.key}=${value}`);
    if (isAcknowledgedWrite(operation)) acknowledged.push(`${operation.key}=${value}`);
  }
  const told = new Map<string, number>();
  const phantom: string[] = [];
  let outOfOrder = 0;
  let lastRevision = 0;
  for (const change of changes) {
    if (change.revision < lastRevision) outOfOrder += 1;
    lastRevision = Math.max(lastRevision, change.revision);
    if (ignoreKeys.has(change.key) || ignoreKey?.(change.key) === true) continue;
    const name = change.type === 'put' ? `${change.key}=${change.value}` : `${change.key} deleted@${change.revision}`;
    told.set(name, (told.get(name) ?? 0) + 1);
    const explained = change.type === 'put' ? possible.has(name) : deletable.has(change.key);
    if (!explained) phantom.push(`${name}@${change.revision}`);
  }
  const missing = acknowledged.filter((name) => !told.has(name));
  const repeated = [...told].filter(([, count]) => count > 1).map(([name, count]) => `${name} ×${count}`);
  return {
    judged: true,
    changes: changes.length,
    missing: missing.slice(0, SHOWN_MAX),
    missingCount: missing.length,
    repeated: repeated.slice(0, SHOWN_MAX),
    repeatedCount: repeated.length,
    phantom: phantom.slice(0, SHOWN_MAX),
    phantomCount: phantom.length,
    outOfOrder,
    ...(options.error === undefined ? {} : { error: String(options.error) }),
  };
}

/** Why the watch check failed, one line per reason (none: it passed or was not run). */
export function watchFailures(verdict: WatchVerdict | undefined): string[] {
  if (verdict === undefined || !verdict.judged) return [];
  const failures: string[] = [];
  if (verdict.error !== undefined) failures.push(`the watch ended: ${verdict.error}`);
  if (verdict.missingCount > 0) failures.push(`the watch never told ${verdict.missingCount} acknowledged write(s)`);
  if (verdict.repeatedCount > 0) failures.push(`the watch told ${verdict.repeatedCount} change(s) more than once`);
  if (verdict.phantomCount > 0) failures.push(`the watch told ${verdict.phantomCount} change(s) no write made`);
  if (verdict.outOfOrder > 0) failures.push(`the watch told ${verdict.outOfOrder} change(s) out of revision order`);
  return failures;
}
