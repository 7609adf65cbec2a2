// Original file: proto/holdfast/v1/kv.proto

export const Consistency = {
  /**
   * ReadIndex through the leader
   */
  LINEARIZABLE: 'LINEARIZABLE',
  /**
   * the local replica, possibly stale
   */
  SERIALIZABLE: 'SERIALIZABLE',
} as const;

export type Consistency =
  /**
   * ReadIndex through the leader
   */
  | 'LINEARIZABLE'
  | 0
  /**
   * the local replica, possibly stale
   */
  | 'SERIALIZABLE'
  | 1

export type Consistency__Output = typeof Consistency[keyof typeof Consistency]
