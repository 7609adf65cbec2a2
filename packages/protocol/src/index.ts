/**
 * The wire contract, in one place for every package that speaks it: where the .proto files are,
 * the one set of loader options, the loaded services, the message types generated from the
 * contracts with proto-loader-gen-types (scripts/generate.mjs), the table of failure kinds, and
 * the framing of the Batch stream (frames.ts).
 *
 * Types: `X` is what may be written (every field optional, bytes as Buffer | Uint8Array |
 * string); `X__Output` is what the decoder hands out under LOADER_OPTIONS (every scalar present,
 * bytes as Buffer, message fields null when absent, oneofs named in a virtual field).
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AuthProto } from './generated/auth.js';
import type { ProtoGrpcType as KvProto } from './generated/kv.js';
import type { ProtoGrpcType as RaftProto } from './generated/raft.js';

export * from './generated/index.js';
export { FRAME_BYTES_MAX, FrameOutbox, type FrameOutboxOptions, requestBytes, responseBytes } from './frames.js';

/**
 * The package's proto/ folder, the one copy of the contracts: shipped in the npm package beside
 * dist/, and found from src/ and dist/ alike.
 */
export const PROTO_DIR = fileURLToPath(new URL('../proto', import.meta.url));
export const PROTO_FILES = ['holdfast/v1/kv.proto', 'holdfast/v1/raft.proto', 'holdfast/v1/auth.proto'] as const;

/**
 * How the contracts are loaded at run time. The generated `__Output` types assume exactly these
 * options (scripts/generate.mjs passes the same ones to the generator): change both or neither.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

type Services = KvProto['holdfast']['v1'] & RaftProto['holdfast']['v1'] & AuthProto['holdfast']['v1'];

export interface Protos {
  readonly definition: protoLoader.PackageDefinition;
  readonly kv: Services['KV']['service'];
  readonly cluster: Services['Cluster']['service'];
  readonly raft: Services['Raft']['service'];
  readonly auth: Services['Auth']['service'];
  readonly KvClient: Services['KV'];
  readonly ClusterClient: Services['Cluster'];
  readonly RaftClient: Services['Raft'];
  readonly AuthClient: Services['Auth'];
}

let loaded: Protos | undefined;

/** Loads the contracts once per process. Throws, naming the folder, if a service is missing. */
export function loadProtos(): Protos {
  if (loaded !== undefined) return loaded;
  const definition = protoLoader.loadSync([...PROTO_FILES], LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as unknown as { holdfast?: { v1?: Partial<Services> } };
  const v1 = root.holdfast?.v1 ?? {};
  const pick = <Name extends 'KV' | 'Cluster' | 'Raft' | 'Auth'>(name: Name): Services[Name] => {
    const service = v1[name];
    if (service === undefined) throw new Error(`proto service holdfast.v1.${name} not found in ${PROTO_DIR}`);
    return service as Services[Name];
  };
  const KvClient = pick('KV');
  const ClusterClient = pick('Cluster');
  const RaftClient = pick('Raft');
  const AuthClient = pick('Auth');
  loaded = {
    definition,
    kv: KvClient.service,
    cluster: ClusterClient.service,
    raft: RaftClient.service,
    auth: AuthClient.service,
    KvClient,
    ClusterClient,
    RaftClient,
    AuthClient,
  };
  return loaded;
}

/**
 * The failures a caller can act on, by the name carried in the `holdfast-error` trailing
 * metadata (or a BatchError's `kind`), with the gRPC status each travels as. The table at the
 * top of kv.proto documents the same; the server maps its errors through it and the SDK maps
 * them back to one class each.
 */
export const ERROR_KIND_STATUS = {
  'not-leader': grpc.status.UNAVAILABLE,
  'no-leader': grpc.status.UNAVAILABLE,
  'compare-failed': grpc.status.FAILED_PRECONDITION,
  'key-too-large': grpc.status.INVALID_ARGUMENT,
  'value-too-large': grpc.status.INVALID_ARGUMENT,
  'request-too-large': grpc.status.INVALID_ARGUMENT,
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  overloaded: grpc.status.RESOURCE_EXHAUSTED,
  'quota-exceeded': grpc.status.RESOURCE_EXHAUSTED,
  compacted: grpc.status.OUT_OF_RANGE,
  timeout: grpc.status.DEADLINE_EXCEEDED,
  stopping: grpc.status.UNAVAILABLE,
  'state-corrupt': grpc.status.DATA_LOSS,
  'lease-not-found': grpc.status.NOT_FOUND,
  'lease-exists': grpc.status.ALREADY_EXISTS,
  'leases-exceeded': grpc.status.RESOURCE_EXHAUSTED,
  'lease-keys-exceeded': grpc.status.RESOURCE_EXHAUSTED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  'permission-denied': grpc.status.PERMISSION_DENIED,
  'too-many-logins': grpc.status.RESOURCE_EXHAUSTED,
  'auth-changed': grpc.status.ABORTED,
  internal: grpc.status.INTERNAL,
} as const satisfies Record<string, grpc.status>;

export type ErrorKind = keyof typeof ERROR_KIND_STATUS;

export function isErrorKind(name: string): name is ErrorKind {
  return Object.hasOwn(ERROR_KIND_STATUS, name);
}

/** Trailing metadata keys of a failed call: the error kind, and a not-leader's leader address. */
export const ERROR_KIND_METADATA = 'holdfast-error';
export const LEADER_METADATA = 'holdfast-leader';
