// Original file: proto/holdfast/v1/kv.proto

import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from '../../holdfast/v1/Session.js';
import type { Long } from '@grpc/proto-loader';

/**
 * TTLs within [--lease-ttl-min-ms, --lease-ttl-max-ms] (INVALID_ARGUMENT otherwise).
 */
export interface LeaseGrantRequest {
  'ttlMs'?: (number);
  /**
   * 0 = the next id (one above the highest ever granted: ids are never reused).
   */
  'id'?: (number | string | Long);
  'session'?: (_holdfast_v1_Session | null);
}

/**
 * TTLs within [--lease-ttl-min-ms, --lease-ttl-max-ms] (INVALID_ARGUMENT otherwise).
 */
export interface LeaseGrantRequest__Output {
  'ttlMs': (number);
  /**
   * 0 = the next id (one above the highest ever granted: ids are never reused).
   */
  'id': (number);
  'session': (_holdfast_v1_Session__Output | null);
}
