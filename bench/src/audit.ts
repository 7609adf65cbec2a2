import type { Prng } from '@holdfast/raft';
import type { AuditSummary } from './corruption.js';
import type { BenchHistory, BenchOperation } from './history.js';
import { type ClusterTarget, type MemberHealth, sleep } from './target.js';

/**
 * Reads of what each member serves, for the corruption nemesis: a damaged member may answer from
 * damaged data, and the workload's reads mostly go to the leader. The audit reads every key
 * through one member alone (linearizable range pages) and records each key's value as a get in
 * the history, so the checker judges what that member served like any other read.
 */

/** Client ids of the bench's own operations (the workload's start at 0). */
const AUDIT_CLIENT_ID = -100;
const FIXED_CLIENT_ID = -10;

/** Keys per range page of an audit (about 200 KiB of fixed data: one page answers in time on a loaded machine). */
const AUDIT_PAGE_KEYS = 200;

/** Keys of the fixed data set loaded before the workload (never written again). */
export const FIXED_KEY_PREFIX = 'f/';
export const FIXED_VALUE_BYTES = 1024;

/** Keys some recorded operation wrote or may have written: the ones the checker can judge. */
export function writtenKeys(operations: readonly BenchOperation[]): Set<string> {
  const keys = new Set<string>();
  for (const operation of operations) {
    if (operation.input.kind !== 'get' && operation.outcome !== 'failed') keys.add(operation.key);
  }
  return keys;
}

export interface AuditOptions {
  target: ClusterTarget;
  history: BenchHistory;
  member: string;
  /** When the audit is made (e.g. "repaired after fault 4", "end of run"), for the report. */
  occasion: string;
  deadlineMs: number;
  /** Test-only: change one byte of the first value read, as a member serving damaged data would. */
  plantCorruptValue?: () => boolean;
  /** Notes the planted operation, when one was planted. */
  onPlanted?: (operation: BenchOperation) => void;
}

/**
 * Reads every key through `member`, page by page, and records one get per written key: the value
 * found, with the interval of its page, or absent, with the interval of the whole audit.
 */
export async function auditMember(options: AuditOptions): Promise<AuditSummary> {
  const { target, history, member } = options;
  if (target.memberReader === undefined) return { ok: true, keysRead: 0, detail: `${target.kind}: no member audit` };
  const keys = writtenKeys(history.all());
  const reader = target.memberReader(member, options.deadlineMs);
  const startedAt = history.clock.nowMs();
  const servedBy = `${member}, ${options.occasion}`;
  const seen = new Set<string>();
  let afterKey: string | undefined;
  try {
    for (;;) {
      const invokedAt = history.clock.nowMs();
      const page = await reader.page({ ...(afterKey === undefined ? {} : { afterKey }), limit: AUDIT_PAGE_KEYS });
      const returnedAt = history.clock.nowMs();
      for (const kv of page.kvs) {
        if (!keys.has(kv.key)) continue;
        seen.add(kv.key);
        const value = options.plantCorruptValue?.() === true ? flipOneCharacter(kv.value) : kv.value;
        const operation = recordRead({ history, key: kv.key, value, invokedAt, returnedAt, planted: value !== kv.value, servedBy });
        if (value !== kv.value) options.onPlanted?.(operation);
      }
      afterKey = page.kvs.at(-1)?.key;
      if (!page.more || afterKey === undefined) break;
    }
  } catch (error) {
    return { ok: false, keysRead: seen.size, detail: `read through ${member} failed after ${seen.size} keys: ${String(error)}` };
  } finally {
    reader.close();
  }
  const endedAt = history.clock.nowMs();
  let absent = 0;
  for (const key of keys) {
    if (seen.has(key)) continue;
    recordRead({ history, key, value: null, invokedAt: startedAt, returnedAt: endedAt, planted: false, servedBy });
    absent += 1;
  }
  return { ok: true, keysRead: seen.size, detail: `${seen.size} keys read through ${member} (${absent} written keys absent)` };
}

function recordRead(options: {
  history: BenchHistory;
  key: string;
  value: string | null;
  invokedAt: number;
  returnedAt: number;
  planted: boolean;
  servedBy: string;
}): BenchOperation {
  return options.history.append({
    clientId: AUDIT_CLIENT_ID,
    key: options.key,
    input: { kind: 'get' },
    outcome: 'ok',
    output: { kind: 'get', value: options.value },
    invokedAt: options.invokedAt,
    returnedAt: options.returnedAt,
    completedAt: options.returnedAt,
    servedBy: options.servedBy,
    ...(options.planted ? { planted: true } : {}),
  });
}

/** The value with its middle character changed (a flipped byte, as text). */
export function flipOneCharacter(value: string): string {
  if (value.length === 0) return '\u0001';
  const at = Math.floor(value.length / 2);
  const code = value.charCodeAt(at);
  return `${value.slice(0, at)}${String.fromCharCode(code === 0x61 ? 0x62 : 0x61)}${value.slice(at + 1)}`;
}

/**
 * Writes `count` keys (`f/00000`...) of FIXED_VALUE_BYTES seeded hex each before the workload,
 * recorded in the history. They are never written again, so the state's tables hold them for the
 * whole run: the bytes the state-table damage most often hits are data someone can read back.
 */
export async function loadFixedData(options: { target: ClusterTarget; history: BenchHistory; count: number; prng: Prng; deadlineMs: number }): Promise<number> {
  const { target, history, count, prng } = options;
  const values = Array.from({ length: count }, () => seededHex(prng, FIXED_VALUE_BYTES));
  const workers = 16;
  let next = 0;
  let acknowledged = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      const client = target.createKv({ clientIndex: 1000 + worker, deadlineMs: options.deadlineMs });
      try {
        for (let index = next++; index < count; index = next++) {
          const key = `${FIXED_KEY_PREFIX}${String(index).padStart(5, '0')}`;
          const value = values[index] as string;
          const operation = history.invoke({ clientId: FIXED_CLIENT_ID - worker, key, input: { kind: 'put', value } });
          try {
            await client.put(key, value);
            history.complete(operation, { outcome: 'ok', output: { kind: 'put' } });
            acknowledged += 1;
          } catch (error) {
            history.complete(operation, { outcome: target.classifyError(error, { write: true }), error: String(error) });
          }
        }
      } finally {
        client.close();
      }
    }),
  );
  return acknowledged;
}

function seededHex(prng: Prng, length: number): string {
  let text = '';
  while (text.length < length) text += prng.nextUint32().toString(16).padStart(8, '0');
  return text.slice(0, length);
}

export interface Convergence {
  converged: boolean;
  /** Applied index (or why none) per member, as last seen. */
  applied: Record<string, number | string>;
  detail: string;
}

/**
 * After the run, with no more writes: every member must reach the same applied index, with no
 * alarm and not repairing. Waits up to `timeoutMs` for it.
 */
export async function awaitConvergence(options: { target: ClusterTarget; timeoutMs: number }): Promise<Convergence> {
  const { target } = options;
  const deadline = Date.now() + options.timeoutMs;
  let applied: Record<string, number | string> = {};
  let detail = '';
  for (;;) {
    applied = {};
    const problems: string[] = [];
    for (const id of target.nodeIds()) {
      const health: MemberHealth | string =
        target.memberHealth === undefined
          ? 'no member status'
          : await target.memberHealth(id, 1000).catch((error: unknown) => `status: ${String(error)}`);
      if (typeof health === 'string') {
        applied[id] = health;
        problems.push(`${id}: ${health}`);
        continue;
      }
      applied[id] = health.appliedIndex;
      if (health.alarms.length > 0) problems.push(`${id}: alarms ${health.alarms.join(', ')}`);
      if (health.repairing) problems.push(`${id}: repairing`);
    }
    const indexes = new Set(Object.values(applied));
    if (problems.length === 0 && indexes.size === 1) return { converged: true, applied, detail: `every member at applied index ${[...indexes][0]}` };
    detail = problems.length > 0 ? problems.join('; ') : `applied indexes differ: ${JSON.stringify(applied)}`;
    if (Date.now() >= deadline) return { converged: false, applied, detail };
    await sleep(250);
  }
}
