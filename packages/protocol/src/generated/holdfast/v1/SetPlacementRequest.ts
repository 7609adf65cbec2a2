// Original file: proto/holdfast/v1/kv.proto


export interface SetPlacementRequest {
  'leaderRegions'?: (string)[];
  /**
   * False: keep the current leader regions.
   */
  'leaderRegionsSet'?: (boolean);
  /**
   * member | region; empty: keep the current goal.
   */
  'survive'?: (string);
}

export interface SetPlacementRequest__Output {
  'leaderRegions': (string)[];
  /**
   * False: keep the current leader regions.
   */
  'leaderRegionsSet': (boolean);
  /**
   * member | region; empty: keep the current goal.
   */
  'survive': (string);
}
