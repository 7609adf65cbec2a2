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
  readonly low: Buffer;
  readonly high: Buffer | null;
}

const ZERO = Buffer.of(0);

function intervalOf(range: { readonly start: Uint8Array; readonly end?: Uint8Array | undefined }): Interval {
  const low = Buffer.from(range.start);
  if (range.end === undefined || range.end.byteLength === 0) return { low, high: Buffer.concat([low, ZERO]) };
  if (range.end.byteLength === 1 && range.end[0] === 0) return { low, high: null };
  return { low, high: Buffer.from(range.end) };
}

function highAtLeast(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return Buffer.compare(a, b) >= 0;
}

/** True when the union of `grants` covers all of `need`. */
export function covers(grants: readonly Interval[], need: Interval): boolean {
  const sorted = [...grants].sort((a, b) => Buffer.compare(a.low, b.low));
  let reached: Buffer | null = need.low;
  for (const grant of sorted) {
    if (reached === null) return true;
    if (Buffer.compare(grant.low, reached) > 0) break;
    if (!highAtLeast(reached, grant.high)) reached = grant.high;
  }
  return highAtLeast(reached, need.high);
}

/** The user's permissions, flattened from its roles; undefined for a holder of the root role. */
function permissionsOf(auth: AuthState, user: string): { root: boolean; keys: KeyPermission[]; admin: Set<AdminRight> } {
  const roles = auth.users.find((candidate) => candidate.name === user)?.roles ?? [];
  if (roles.includes(ROOT_ROLE)) return { root: true, keys: [], admin: new Set() };
  const keys: KeyPermission[] = [];
  const admin = new Set<AdminRight>();
  for (const name of roles) {
    for (const permission of auth.roles.find((role) => role.name === name)?.permissions ?? []) {
      if (permission.type === 'admin') admin.add(permission.right);
      else keys.push(permission);
    }
  }
  return { root: false, keys, admin };
}

/** The first need the user's roles do not grant, described for PERMISSION_DENIED; undefined when all are granted. */
export function missingGrant(auth: AuthState, user: string, needs: readonly Need[]): string | undefined {
  if (needs.length === 0) return undefined;
  const granted = permissionsOf(auth, user);
  if (granted.root) return undefined;
  for (const need of needs) {
    if (need.access === 'admin') {
      if (!granted.admin.has(need.right)) return `user "${user}" lacks the admin right "${need.right}"`;
      continue;
    }
    const grants = granted.keys.filter((p) => need.access === 'read' || p.access === 'readwrite').map(intervalOf);
    if (!covers(grants, intervalOf(need))) {
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
  return ZERO;
}
