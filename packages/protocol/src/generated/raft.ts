import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { RaftClient as _holdfast_v1_RaftClient, RaftDefinition as _holdfast_v1_RaftDefinition } from './holdfast/v1/Raft.js';
import type { RaftAck as _holdfast_v1_RaftAck, RaftAck__Output as _holdfast_v1_RaftAck__Output } from './holdfast/v1/RaftAck.js';
import type { RaftBatch as _holdfast_v1_RaftBatch, RaftBatch__Output as _holdfast_v1_RaftBatch__Output } from './holdfast/v1/RaftBatch.js';
import type { SnapshotAck as _holdfast_v1_SnapshotAck, SnapshotAck__Output as _holdfast_v1_SnapshotAck__Output } from './holdfast/v1/SnapshotAck.js';
import type { SnapshotChunk as _holdfast_v1_SnapshotChunk, SnapshotChunk__Output as _holdfast_v1_SnapshotChunk__Output } from './holdfast/v1/SnapshotChunk.js';
import type { StateCheckpoint as _holdfast_v1_StateCheckpoint, StateCheckpoint__Output as _holdfast_v1_StateCheckpoint__Output } from './holdfast/v1/StateCheckpoint.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  holdfast: {
    v1: {
      Raft: SubtypeConstructor<typeof grpc.Client, _holdfast_v1_RaftClient> & { service: _holdfast_v1_RaftDefinition }
      RaftAck: MessageTypeDefinition<_holdfast_v1_RaftAck, _holdfast_v1_RaftAck__Output>
      RaftBatch: MessageTypeDefinition<_holdfast_v1_RaftBatch, _holdfast_v1_RaftBatch__Output>
      SnapshotAck: MessageTypeDefinition<_holdfast_v1_SnapshotAck, _holdfast_v1_SnapshotAck__Output>
      SnapshotChunk: MessageTypeDefinition<_holdfast_v1_SnapshotChunk, _holdfast_v1_SnapshotChunk__Output>
      StateCheckpoint: MessageTypeDefinition<_holdfast_v1_StateCheckpoint, _holdfast_v1_StateCheckpoint__Output>
    }
  }
}

