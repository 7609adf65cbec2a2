// Original file: proto/holdfast/v1/kv.proto

import type { Compare as _holdfast_v1_Compare, Compare__Output as _holdfast_v1_Compare__Output } from '../../holdfast/v1/Compare.js';
import type { TxnOp as _holdfast_v1_TxnOp, TxnOp__Output as _holdfast_v1_TxnOp__Output } from '../../holdfast/v1/TxnOp.js';
import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from '../../holdfast/v1/Session.js';

export interface TxnRequest {
  'compare'?: (_holdfast_v1_Compare)[];
  'success'?: (_holdfast_v1_TxnOp)[];
  'failure'?: (_holdfast_v1_TxnOp)[];
  'session'?: (_holdfast_v1_Session | null);
}

export interface TxnRequest__Output {
  'compare': (_holdfast_v1_Compare__Output)[];
  'success': (_holdfast_v1_TxnOp__Output)[];
  'failure': (_holdfast_v1_TxnOp__Output)[];
  'session': (_holdfast_v1_Session__Output | null);
}
