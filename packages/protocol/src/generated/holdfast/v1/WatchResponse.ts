// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { WatchEvent as _holdfast_v1_WatchEvent, WatchEvent__Output as _holdfast_v1_WatchEvent__Output } from '../../holdfast/v1/WatchEvent.js';

export interface WatchResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'created'?: (boolean);
  'events'?: (_holdfast_v1_WatchEvent)[];
}

export interface WatchResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'created': (boolean);
  'events': (_holdfast_v1_WatchEvent__Output)[];
}
