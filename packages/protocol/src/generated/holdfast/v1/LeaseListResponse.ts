// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { LeaseStatus as _holdfast_v1_LeaseStatus, LeaseStatus__Output as _holdfast_v1_LeaseStatus__Output } from '../../holdfast/v1/LeaseStatus.js';

export interface LeaseListResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'leases'?: (_holdfast_v1_LeaseStatus)[];
}

export interface LeaseListResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'leases': (_holdfast_v1_LeaseStatus__Output)[];
}
