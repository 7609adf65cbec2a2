// Original file: proto/holdfast/v1/kv.proto


/**
 * A cluster-wide setting kept in the replicated state (see docs/operations.md, Regions).
 */
export interface Placement {
  /**
   * Regions the leader should be in, most preferred first; empty = no preference.
   */
  'leaderRegions'?: (string)[];
  /**
   * member | region: what the voters' layout must survive.
   */
  'survive'?: (string);
}

/**
 * A cluster-wide setting kept in the replicated state (see docs/operations.md, Regions).
 */
export interface Placement__Output {
  /**
   * Regions the leader should be in, most preferred first; empty = no preference.
   */
  'leaderRegions': (string)[];
  /**
   * member | region: what the voters' layout must survive.
   */
  'survive': (string);
}
