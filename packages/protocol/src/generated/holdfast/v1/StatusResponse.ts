// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { MemberStatus as _holdfast_v1_MemberStatus, MemberStatus__Output as _holdfast_v1_MemberStatus__Output } from '../../holdfast/v1/MemberStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'leaderId'?: (number | string | Long);
  /**
   * One per member, gathered by the answering node (unreachable members say so).
   */
  'members'?: (_holdfast_v1_MemberStatus)[];
}

export interface StatusResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'leaderId': (number);
  /**
   * One per member, gathered by the answering node (unreachable members say so).
   */
  'members': (_holdfast_v1_MemberStatus__Output)[];
}
