// Original file: proto/holdfast/v1/kv.proto

import type { Consistency as _holdfast_v1_Consistency, Consistency__Output as _holdfast_v1_Consistency__Output } from '../../holdfast/v1/Consistency.js';
import type { Long } from '@grpc/proto-loader';

export interface GetRequest {
  'key'?: (Buffer | Uint8Array | string);
  'consistency'?: (_holdfast_v1_Consistency);
  /**
   * With LINEARIZABLE: 0 = linearizable. N > 0 = bounded staleness: the answer holds every write
   * acknowledged at least N ms before the node took the read. The node answers from its own
   * state, without asking the leader, while a read barrier it completed started within the last
   * N ms; otherwise it runs one first. Ignored with SERIALIZABLE.
   */
  'maxStalenessMs'?: (number);
  /**
   * The key as it was at this revision (0 = now). Below the compacted revision: OUT_OF_RANGE
   * `compacted`; past the store's revision: INVALID_ARGUMENT.
   */
  'revision'?: (number | string | Long);
}

export interface GetRequest__Output {
  'key': (Buffer);
  'consistency': (_holdfast_v1_Consistency__Output);
  /**
   * With LINEARIZABLE: 0 = linearizable. N > 0 = bounded staleness: the answer holds every write
   * acknowledged at least N ms before the node took the read. The node answers from its own
   * state, without asking the leader, while a read barrier it completed started within the last
   * N ms; otherwise it runs one first. Ignored with SERIALIZABLE.
   */
  'maxStalenessMs': (number);
  /**
   * The key as it was at this revision (0 = now). Below the compacted revision: OUT_OF_RANGE
   * `compacted`; past the store's revision: INVALID_ARGUMENT.
   */
  'revision': (number);
}
