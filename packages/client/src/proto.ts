import type { MethodDefinition, PackageDefinition } from '@grpc/proto-loader';
import { loadProtos, PROTO_DIR } from '@holdfast/protocol';
import { AUTH_METHODS, type AuthMethod, type ClusterMethod, type KvKind } from './wire.js';

export type AnyMethod = MethodDefinition<object, object>;

export interface HoldfastMethods {
  kv: Record<KvKind, AnyMethod>;
  batch: AnyMethod;
  cluster: Record<ClusterMethod, AnyMethod>;
  /** Cluster.Backup: server streaming. */
  backup: AnyMethod;
  /** KV.Watch: server streaming. */
  watch: AnyMethod;
  /** KV.LeaseKeepAliveStream: bidirectional. */
  leaseKeepAliveStream: AnyMethod;
  /** The Auth service's methods, by name. */
  auth: Record<AuthMethod, AnyMethod>;
}

let loaded: HoldfastMethods | undefined;

function methodOf(definition: PackageDefinition, service: string, method: string): AnyMethod {
  const serviceDefinition = definition[service];
  if (serviceDefinition === undefined || !(method in serviceDefinition)) {
    throw new Error(`kv.proto has no ${service}.${method}; is the proto folder at ${PROTO_DIR} current?`);
  }
  return (serviceDefinition as Record<string, AnyMethod>)[method] as AnyMethod;
}

/** The method definitions the client calls, from the contracts loaded once per process. */
export function loadHoldfastMethods(): HoldfastMethods {
  if (loaded !== undefined) return loaded;
  const { definition } = loadProtos();
  const kv = (name: string): AnyMethod => methodOf(definition, 'holdfast.v1.KV', name);
  const cluster = (name: string): AnyMethod => methodOf(definition, 'holdfast.v1.Cluster', name);
  const auth = Object.fromEntries(AUTH_METHODS.map((name) => [name, methodOf(definition, 'holdfast.v1.Auth', name)])) as Record<AuthMethod, AnyMethod>;
  loaded = {
    kv: {
      put: kv('Put'),
      get: kv('Get'),
      delete: kv('Delete'),
      range: kv('Range'),
      txn: kv('Txn'),
      leaseGrant: kv('LeaseGrant'),
      leaseRevoke: kv('LeaseRevoke'),
      leaseKeepAlive: kv('LeaseKeepAlive'),
      leaseTimeToLive: kv('LeaseTimeToLive'),
      leaseList: kv('LeaseList'),
      compact: kv('Compact'),
    },
    batch: kv('Batch'),
    backup: cluster('Backup'),
    watch: kv('Watch'),
    leaseKeepAliveStream: kv('LeaseKeepAliveStream'),
    auth,
    cluster: {
      Status: cluster('Status'),
      MemberList: cluster('MemberList'),
      MemberAddLearner: cluster('MemberAddLearner'),
      MemberPromote: cluster('MemberPromote'),
      MemberRemove: cluster('MemberRemove'),
      TransferLeadership: cluster('TransferLeadership'),
      SetPlacement: cluster('SetPlacement'),
    },
  };
  return loaded;
}
