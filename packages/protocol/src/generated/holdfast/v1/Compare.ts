// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

// Original file: proto/holdfast/v1/kv.proto

export const _holdfast_v1_Compare_Op = {
  EQUAL: 'EQUAL',
  NOT_EQUAL: 'NOT_EQUAL',
  LESS: 'LESS',
  GREATER: 'GREATER',
} as const;

export type _holdfast_v1_Compare_Op =
  | 'EQUAL'
  | 0
  | 'NOT_EQUAL'
  | 1
  | 'LESS'
  | 2
  | 'GREATER'
  | 3

export type _holdfast_v1_Compare_Op__Output = typeof _holdfast_v1_Compare_Op[keyof typeof _holdfast_v1_Compare_Op]

// Original file: proto/holdfast/v1/kv.proto

export const _holdfast_v1_Compare_Target = {
  VALUE: 'VALUE',
  VERSION: 'VERSION',
  MOD_REVISION: 'MOD_REVISION',
  CREATE_REVISION: 'CREATE_REVISION',
} as const;

export type _holdfast_v1_Compare_Target =
  | 'VALUE'
  | 0
  | 'VERSION'
  | 1
  | 'MOD_REVISION'
  | 2
  | 'CREATE_REVISION'
  | 3

export type _holdfast_v1_Compare_Target__Output = typeof _holdfast_v1_Compare_Target[keyof typeof _holdfast_v1_Compare_Target]

export interface Compare {
  'key'?: (Buffer | Uint8Array | string);
  'target'?: (_holdfast_v1_Compare_Target);
  'op'?: (_holdfast_v1_Compare_Op);
  /**
   * For VALUE. A missing key compares as an empty value with version/revisions 0.
   */
  'value'?: (Buffer | Uint8Array | string);
  /**
   * For VERSION, MOD_REVISION, CREATE_REVISION.
   */
  'number'?: (number | string | Long);
}

export interface Compare__Output {
  'key': (Buffer);
  'target': (_holdfast_v1_Compare_Target__Output);
  'op': (_holdfast_v1_Compare_Op__Output);
  /**
   * For VALUE. A missing key compares as an empty value with version/revisions 0.
   */
  'value': (Buffer);
  /**
   * For VERSION, MOD_REVISION, CREATE_REVISION.
   */
  'number': (number);
}
