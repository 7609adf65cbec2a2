// Original file: proto/holdfast/v1/kv.proto


export interface MemberAddLearnerRequest {
  'name'?: (string);
  'region'?: (string);
  'clientAddress'?: (string);
  'peerAddress'?: (string);
}

export interface MemberAddLearnerRequest__Output {
  'name': (string);
  'region': (string);
  'clientAddress': (string);
  'peerAddress': (string);
}
