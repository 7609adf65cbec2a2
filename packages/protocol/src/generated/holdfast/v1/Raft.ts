// Original file: proto/holdfast/v1/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RaftAck as _holdfast_v1_RaftAck, RaftAck__Output as _holdfast_v1_RaftAck__Output } from '../../holdfast/v1/RaftAck.js';
import type { RaftBatch as _holdfast_v1_RaftBatch, RaftBatch__Output as _holdfast_v1_RaftBatch__Output } from '../../holdfast/v1/RaftBatch.js';
import type { SnapshotAck as _holdfast_v1_SnapshotAck, SnapshotAck__Output as _holdfast_v1_SnapshotAck__Output } from '../../holdfast/v1/SnapshotAck.js';
import type { SnapshotChunk as _holdfast_v1_SnapshotChunk, SnapshotChunk__Output as _holdfast_v1_SnapshotChunk__Output } from '../../holdfast/v1/SnapshotChunk.js';

export interface RaftClient extends grpc.Client {
  /**
   * A snapshot in chunks on its own call, so a large snapshot does not stall heartbeats.
   */
  SendSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  SendSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  SendSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  SendSnapshot(callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  /**
   * A snapshot in chunks on its own call, so a large snapshot does not stall heartbeats.
   */
  sendSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  sendSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  sendSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  sendSnapshot(callback: grpc.requestCallback<_holdfast_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_holdfast_v1_SnapshotChunk>;
  
  /**
   * The sender opens one stream to each peer and writes a RaftBatch whenever it has messages.
   * The receiver answers with RaftAck for flow control (batches received so far).
   */
  Stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_RaftBatch, _holdfast_v1_RaftAck__Output>;
  Stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_RaftBatch, _holdfast_v1_RaftAck__Output>;
  /**
   * The sender opens one stream to each peer and writes a RaftBatch whenever it has messages.
   * The receiver answers with RaftAck for flow control (batches received so far).
   */
  stream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_RaftBatch, _holdfast_v1_RaftAck__Output>;
  stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_RaftBatch, _holdfast_v1_RaftAck__Output>;
  
}

export interface RaftHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A snapshot in chunks on its own call, so a large snapshot does not stall heartbeats.
   */
  SendSnapshot: grpc.handleClientStreamingCall<_holdfast_v1_SnapshotChunk__Output, _holdfast_v1_SnapshotAck>;
  
  /**
   * The sender opens one stream to each peer and writes a RaftBatch whenever it has messages.
   * The receiver answers with RaftAck for flow control (batches received so far).
   */
  Stream: grpc.handleBidiStreamingCall<_holdfast_v1_RaftBatch__Output, _holdfast_v1_RaftAck>;
  
}

export interface RaftDefinition extends grpc.ServiceDefinition {
  SendSnapshot: MethodDefinition<_holdfast_v1_SnapshotChunk, _holdfast_v1_SnapshotAck, _holdfast_v1_SnapshotChunk__Output, _holdfast_v1_SnapshotAck__Output>
  Stream: MethodDefinition<_holdfast_v1_RaftBatch, _holdfast_v1_RaftAck, _holdfast_v1_RaftBatch__Output, _holdfast_v1_RaftAck__Output>
}
