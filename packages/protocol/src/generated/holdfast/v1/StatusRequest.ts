// Original file: proto/holdfast/v1/kv.proto


export interface StatusRequest {
  /**
   * Only the answering node's own view: do not ask the other members.
   */
  'localOnly'?: (boolean);
}

export interface StatusRequest__Output {
  /**
   * Only the answering node's own view: do not ask the other members.
   */
  'localOnly': (boolean);
}
