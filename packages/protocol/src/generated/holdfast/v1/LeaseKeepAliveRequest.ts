// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Answered by the leader (a follower forwards it): the lease's TTL starts again now.
 */
export interface LeaseKeepAliveRequest {
  'id'?: (number | string | Long);
}

/**
 * Answered by the leader (a follower forwards it): the lease's TTL starts again now.
 */
export interface LeaseKeepAliveRequest__Output {
  'id': (number);
}
