// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { Placement as _holdfast_v1_Placement, Placement__Output as _holdfast_v1_Placement__Output } from '../../holdfast/v1/Placement.js';

export interface SetPlacementResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'placement'?: (_holdfast_v1_Placement | null);
}

export interface SetPlacementResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'placement': (_holdfast_v1_Placement__Output | null);
}
