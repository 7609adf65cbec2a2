// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Identifies a write for exactly-once application: the server remembers the last answer per
 * client, so a retried (client_id, sequence) returns the first answer instead of applying again.
 * client_id empty = no deduplication.
 */
export interface Session {
  'clientId'?: (string);
  'sequence'?: (number | string | Long);
}

/**
 * Identifies a write for exactly-once application: the server remembers the last answer per
 * client, so a retried (client_id, sequence) returns the first answer instead of applying again.
 * client_id empty = no deduplication.
 */
export interface Session__Output {
  'clientId': (string);
  'sequence': (number);
}
