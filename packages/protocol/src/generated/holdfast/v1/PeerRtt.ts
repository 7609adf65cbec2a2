// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface PeerRtt {
  'peerId'?: (number | string | Long);
  /**
   * Smoothed round-trip time in microseconds, and the largest sample of the last minute.
   */
  'rttUs'?: (number);
  'rttMaxUs'?: (number);
  'samples'?: (number);
}

export interface PeerRtt__Output {
  'peerId': (number);
  /**
   * Smoothed round-trip time in microseconds, and the largest sample of the last minute.
   */
  'rttUs': (number);
  'rttMaxUs': (number);
  'samples': (number);
}
