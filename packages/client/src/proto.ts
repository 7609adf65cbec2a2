import { fileURLToPath } from 'node:url';
import { loadSync, type MethodDefinition, type Options, type PackageDefinition } from '@grpc/proto-loader';
import type { ClusterMethod, KvKind } from './wire.js';

// Resolves from src/ and from dist/ alike: both sit one level below the package root.
const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));

export const protoLoaderOptions: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
};

export type AnyMethod = MethodDefinition<object, object>;

export interface HoldfastMethods {
  kv: Record<KvKind, AnyMethod>;
  batch: AnyMethod;
  cluster: Record<ClusterMethod, AnyMethod>;
}

let loaded: HoldfastMethods | undefined;

function methodOf(definition: PackageDefinition, service: string, method: string): AnyMethod {
  const serviceDefinition = definition[service];
  if (serviceDefinition === undefined || !(method in serviceDefinition)) {
    throw new Error(`kv.proto has no ${service}.${method}; is the proto folder at ${protoRoot} current?`);
  }
  return (serviceDefinition as Record<string, AnyMethod>)[method] as AnyMethod;
}

/** Loads kv.proto once per process and returns the method definitions the client calls. */
export function loadHoldfastMethods(): HoldfastMethods {
  if (loaded !== undefined) return loaded;
  const definition = loadSync('holdfast/v1/kv.proto', protoLoaderOptions);
  const kv = (name: string): AnyMethod => methodOf(definition, 'holdfast.v1.KV', name);
  const cluster = (name: string): AnyMethod => methodOf(definition, 'holdfast.v1.Cluster', name);
  loaded = {
    kv: { put: kv('Put'), get: kv('Get'), delete: kv('Delete'), range: kv('Range'), txn: kv('Txn') },
    batch: kv('Batch'),
    cluster: {
      Status: cluster('Status'),
      MemberList: cluster('MemberList'),
      MemberAddLearner: cluster('MemberAddLearner'),
      MemberPromote: cluster('MemberPromote'),
      MemberRemove: cluster('MemberRemove'),
      TransferLeadership: cluster('TransferLeadership'),
    },
  };
  return loaded;
}

/** The proto folder, for tests and tools that serve the same contract. */
export const protoFolder = protoRoot;
