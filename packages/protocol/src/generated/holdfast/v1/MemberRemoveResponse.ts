// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { Member as _holdfast_v1_Member, Member__Output as _holdfast_v1_Member__Output } from '../../holdfast/v1/Member.js';

export interface MemberRemoveResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'members'?: (_holdfast_v1_Member)[];
}

export interface MemberRemoveResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'members': (_holdfast_v1_Member__Output)[];
}
