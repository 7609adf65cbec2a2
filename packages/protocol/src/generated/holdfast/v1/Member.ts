// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface Member {
  'id'?: (number | string | Long);
  'name'?: (string);
  'region'?: (string);
  'clientAddress'?: (string);
  'peerAddress'?: (string);
  'learner'?: (boolean);
}

export interface Member__Output {
  'id': (number);
  'name': (string);
  'region': (string);
  'clientAddress': (string);
  'peerAddress': (string);
  'learner': (boolean);
}
