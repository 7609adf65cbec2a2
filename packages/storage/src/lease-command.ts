import { InvalidCommandError } from './errors.js';

/**
 * The logged lease commands. A lease's clock is the leader's (never logged): a grant and a
 * revoke are proposed by a client, an expiry by the leader once the lease's TTL passed without
 * a keepalive. Applying them is deterministic: every member holds the same leases and deletes
 * the same keys at the same revision.
 */

/** Grants a lease. The limits travel in the command so that every member decides alike. */
export interface LeaseGrantOp {
  readonly type: 'leaseGrant';
  /** The id asked for; 0 = the next unused id (one above the highest ever granted). */
  readonly id: number;
  readonly ttlMs: number;
  /** The leader's limit on leases held (--leases-max) when it proposed the grant. */
  readonly leasesMax: number;
  /** Keys that may be attached to this lease (--lease-keys-max when granted), kept with the lease. */
  readonly keysMax: number;
}

/** Ends a lease and deletes every key attached to it, at one revision. */
export interface LeaseRevokeOp {
  readonly type: 'leaseRevoke';
  readonly id: number;
  /** 'expire': the leader's decision after the TTL passed; 'revoke': a client asked. */
  readonly reason: 'revoke' | 'expire';
}

export type LeaseOperation = LeaseGrantOp | LeaseRevokeOp;

/** Lease ids are positive and below 2^53 (revisions and ids are plain numbers everywhere). */
export const LEASE_ID_MAX = Number.MAX_SAFE_INTEGER;

export function isLeaseOperation(operation: { readonly type: string }): operation is LeaseOperation {
  return operation.type === 'leaseGrant' || operation.type === 'leaseRevoke';
}

/** Structural rules of a lease command (limits are the leader's, checked before proposing). */
export function checkLeaseOperationShape(op: Record<string, unknown>): void {
  if (op.type === 'leaseGrant') {
    if (!isSafeNonNegative(op.id)) throw new InvalidCommandError('lease id must be a non-negative integer');
    for (const field of ['ttlMs', 'leasesMax', 'keysMax'] as const) {
      const value = op[field];
      if (!isSafeNonNegative(value) || value < 1) throw new InvalidCommandError(`lease ${field} must be a positive integer`);
    }
    return;
  }
  if (!isSafeNonNegative(op.id) || op.id < 1) throw new InvalidCommandError('lease id must be a positive integer');
  if (op.reason !== 'revoke' && op.reason !== 'expire') throw new InvalidCommandError(`lease revoke reason ${String(op.reason)} is unknown`);
}

/** A put's lease field, when present: a positive id. */
export function checkPutLeaseShape(lease: unknown): void {
  if (lease !== undefined && (!isSafeNonNegative(lease) || lease < 1)) throw new InvalidCommandError('put lease must be a positive integer');
}

function isSafeNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
