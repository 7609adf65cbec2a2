// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { MemberStatus as _holdfast_v1_MemberStatus, MemberStatus__Output as _holdfast_v1_MemberStatus__Output } from '../../holdfast/v1/MemberStatus.js';
import type { Placement as _holdfast_v1_Placement, Placement__Output as _holdfast_v1_Placement__Output } from '../../holdfast/v1/Placement.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'leaderId'?: (number | string | Long);
  /**
   * One per member, gathered by the answering node (unreachable members say so).
   */
  'members'?: (_holdfast_v1_MemberStatus)[];
  /**
   * The placement setting as the answering member applied it.
   */
  'placement'?: (_holdfast_v1_Placement | null);
  /**
   * Whether the voters keep a quorum after losing every member of any one region, and their
   * layout (voters per region), e.g. "us-east 2, us-west 2, eu-west 1".
   */
  'survivesRegionLoss'?: (boolean);
  'layout'?: (string);
  /**
   * Things an operator should look at (an election timeout under 10x the largest RTT, a layout
   * that does not meet the survival goal).
   */
  'warnings'?: (string)[];
}

export interface StatusResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'leaderId': (number);
  /**
   * One per member, gathered by the answering node (unreachable members say so).
   */
  'members': (_holdfast_v1_MemberStatus__Output)[];
  /**
   * The placement setting as the answering member applied it.
   */
  'placement': (_holdfast_v1_Placement__Output | null);
  /**
   * Whether the voters keep a quorum after losing every member of any one region, and their
   * layout (voters per region), e.g. "us-east 2, us-west 2, eu-west 1".
   */
  'survivesRegionLoss': (boolean);
  'layout': (string);
  /**
   * Things an operator should look at (an election timeout under 10x the largest RTT, a layout
   * that does not meet the survival goal).
   */
  'warnings': (string)[];
}
