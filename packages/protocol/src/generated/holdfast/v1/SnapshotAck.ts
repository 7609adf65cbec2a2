// Original file: proto/holdfast/v1/raft.proto


export interface SnapshotAck {
  'ok'?: (boolean);
  'error'?: (string);
}

export interface SnapshotAck__Output {
  'ok': (boolean);
  'error': (string);
}
