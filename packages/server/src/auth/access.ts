/**
 * What a request needs (keys to read or write, an admin right) and whether a user's roles grant
 * it. Key ranges use the wire's convention: `end` absent = the key `start` alone; `end` = one
 * zero byte = every key from `start` on. A need is granted when the union of the user's
 * permissions of enough access covers all of it (two adjoining grants cover a range across
 * them).
 */
import { type AdminRight, type AuthState, type KeyPermission, ROOT_ROLE } from '@holdfast/storage';

export interface KeyNeed {
  readonly access: 'read' | 'write';
  readonly start: Uint8Array;
  readonly end?: Uint8Array;
}

export type Need = KeyNeed | { readonly access: 'admin'; readonly right: AdminRight };

/** [low, high) on key bytes; high null = no upper bound. */
interface Interval {
  readonly low: Uint8Array;
  readonly high: Uint8Array | null;
}

const ZERO = Uint8Array.of(0);

function intervalOf(range: { readonly start: Uint8Array; readonly end?: Uint8Array | undefined }): Interval {
  if (range.end === undefined || range.end.byteLength === 0) return { low: range.start, high: Buffer.concat([range.start, ZERO]) };
  if (range.end.byteLength === 1 && range.end[0] === 0) return { low: range.start, high: null };
  return { low: range.start, high: range.end };
}

/** a ≥ b as upper bounds (null: no bound). */
function highAtLeast(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return Buffer.compare(a, b) >= 0;
}

/** The union of `intervals` as disjoint intervals sorted by their start (adjoining ones merged). */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => Buffer.compare(a.low, b.low));
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && (last.high === null || Buffer.compare(next.low, last.high) <= 0)) {
      if (!highAtLeast(last.high, next.high)) merged[merged.length - 1] = { low: last.low, high: next.high };
      continue;
    }
    merged.push(next);
  }
  return merged;
}

/** The merged interval holding `key`, if any (binary search over disjoint sorted intervals). */
function intervalHolding(merged: readonly Interval[], key: Uint8Array): Interval | undefined {
  let lowIndex = 0;
  let highIndex = merged.length - 1;
  let found: Interval | undefined;
  while (lowIndex <= highIndex) {
    const middle = (lowIndex + highIndex) >>> 1;
    const candidate = merged[middle]!;
    if (Buffer.compare(candidate.low, key) <= 0) {
      found = candidate;
      lowIndex = middle + 1;
    } else {
      highIndex = middle - 1;
    }
  }
  return found;
}

/** True when the union of the merged grants covers all of `need` (one merged interval must hold it). */
export function covers(merged: readonly Interval[], need: { readonly start: Uint8Array; readonly end?: Uint8Array | undefined }): boolean {
  const holding = intervalHolding(merged, need.start);
  if (holding === undefined) return false;
  if (need.end === undefined || need.end.byteLength === 0) {
    // One key k: k + 0x00 ≤ high exactly when k < high.
    return holding.high === null || Buffer.compare(need.start, holding.high) < 0;
  }
  return highAtLeast(holding.high, intervalOf(need).high);
}

/** A user's grants, prepared once per auth state (it is replaced, never changed, by every change). */
interface PreparedGrants {
  readonly root: boolean;
  readonly read: readonly Interval[];
  readonly write: readonly Interval[];
  readonly admin: ReadonlySet<AdminRight>;
}

const preparedByState = new WeakMap<AuthState, Map<string, PreparedGrants>>();

function grantsOf(auth: AuthState, user: string): PreparedGrants {
  let byUser = preparedByState.get(auth);
  if (byUser === undefined) {
    byUser = new Map();
    preparedByState.set(auth, byUser);
  }
  let prepared = byUser.get(user);
  if (prepared === undefined) {
    prepared = prepareGrants(auth, user);
    byUser.set(user, prepared);
  }
  return prepared;
}

function prepareGrants(auth: AuthState, user: string): PreparedGrants {
  const roles = auth.users.find((candidate) => candidate.name === user)?.roles ?? [];
  if (roles.includes(ROOT_ROLE)) return { root: true, read: [], write: [], admin: new Set() };
  const keys: KeyPermission[] = [];
  const admin = new Set<AdminRight>();
  for (const name of roles) {
    for (const permission of auth.roles.find((role) => role.name === name)?.permissions ?? []) {
      if (permission.type === 'admin') admin.add(permission.right);
      else keys.push(permission);
    }
  }
  return {
    root: false,
    read: mergeIntervals(keys.map(intervalOf)),
    write: mergeIntervals(keys.filter((p) => p.access === 'readwrite').map(intervalOf)),
    admin,
  };
}

/** The first need the user's roles do not grant, described for PERMISSION_DENIED; undefined when all are granted. */
export function missingGrant(auth: AuthState, user: string, needs: readonly Need[]): string | undefined {
  if (needs.length === 0) return undefined;
  const granted = grantsOf(auth, user);
  if (granted.root) return undefined;
  for (const need of needs) {
    if (need.access === 'admin') {
      if (!granted.admin.has(need.right)) return `user "${user}" lacks the admin right "${need.right}"`;
      continue;
    }
    if (!covers(need.access === 'read' ? granted.read : granted.write, need)) {
      const access = need.access === 'read' ? 'read' : 'readwrite';
      return `user "${user}" has no ${access} grant on ${describeRange(need)}`;
    }
  }
  return undefined;
}

function printable(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.subarray(0, 64));
  const text = shown.every((b) => b >= 0x20 && b < 0x7f) ? JSON.stringify(shown.toString('latin1')) : `0x${shown.toString('hex')}`;
  return bytes.byteLength > 64 ? `${text}…` : text;
}

export function describeRange(range: { readonly start: Uint8Array; readonly end?: Uint8Array | undefined }): string {
  if (range.end === undefined || range.end.byteLength === 0) return `key ${printable(range.start)}`;
  if (range.end.byteLength === 1 && range.end[0] === 0) return `keys from ${printable(range.start)} on`;
  return `keys [${printable(range.start)}, ${printable(range.end)})`;
}

/** The end of the range of keys starting with `prefix`: one zero byte (to the end) if none is shorter. */
export function prefixRangeEnd(prefix: Uint8Array): Uint8Array {
  const end = Buffer.from(prefix);
  for (let i = end.byteLength - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0);
}
