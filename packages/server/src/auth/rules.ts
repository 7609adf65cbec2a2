/**
 * The check table: what every call on the client port needs, by service and method. The guard
 * (guard.ts) consults it for every call before any handler runs; a method with no row is refused
 * while auth is on (fail closed). The KV, Cluster and Auth rows are typed against the handlers
 * generated from the contracts, so a method added to kv.proto or auth.proto does not compile
 * until it has its row here; a new service adds its table to SERVICE_RULES.
 *
 * A row is one of:
 *   public    no credentials needed (health, reflection, status and member list, login)
 *   user      any authenticated user (reading the auth state's switch)
 *   admin     an admin right (membership, backup, compaction, auth)
 *   keys      the keys the request reads or writes, all of which must be granted (a txn or a
 *             watch touching any key outside the grant is refused whole)
 *   batch     a Batch stream: each request in it is checked as its unary method would be
 */
import type { AdminRight } from '@holdfast/storage';
import type {
  AuthHandlers,
  BatchRequest__Output,
  ClusterHandlers,
  DeleteRequest__Output,
  GetRequest__Output,
  KVHandlers,
  LeaseRevokeRequest__Output,
  PutRequest__Output,
  RangeRequest__Output,
  TxnRequest__Output,
  WatchRequest__Output,
} from '@holdfast/protocol';
import { type KeyNeed, type Need, prefixRangeEnd } from './access.js';

/** What a rule may look up in the applied state besides the request. */
export interface RuleContext {
  /** The keys attached to a lease (none when it is not held). */
  leaseKeys(id: number): readonly Uint8Array[];
}

export type Rule =
  | { readonly kind: 'public' }
  | { readonly kind: 'user' }
  | { readonly kind: 'admin'; readonly right: AdminRight }
  | { readonly kind: 'keys'; readonly needs: (request: unknown, context: RuleContext) => Need[] }
  | { readonly kind: 'batch' };

/** One row per method of a generated handler type (its index signature left out). */
type RuleTable<Handlers> = { readonly [Method in keyof Handlers as string extends Method ? never : Method]: Rule };

const publicRule: Rule = { kind: 'public' };
const userRule: Rule = { kind: 'user' };

function admin(right: AdminRight): Rule {
  return { kind: 'admin', right };
}

function keys<Request>(needs: (request: Request, context: RuleContext) => Need[]): Rule {
  return { kind: 'keys', needs: needs as (request: unknown, context: RuleContext) => Need[] };
}

function read(key: Uint8Array): KeyNeed {
  return { access: 'read', start: key };
}

function write(key: Uint8Array): KeyNeed {
  return { access: 'write', start: key };
}

/** A range or watch selector (prefix, or [start, end) with the wire's conventions). */
function selectedKeys(selector: { prefix: Uint8Array; start: Uint8Array; end: Uint8Array }): KeyNeed {
  if (selector.prefix.byteLength > 0) return { access: 'read', start: selector.prefix, end: prefixRangeEnd(selector.prefix) };
  return selector.end.byteLength > 0 ? { access: 'read', start: selector.start, end: selector.end } : read(selector.start);
}

function txnNeeds(txn: TxnRequest__Output): Need[] {
  const needs: Need[] = txn.compare.map((compare) => read(compare.key));
  for (const op of [...txn.success, ...txn.failure]) {
    if (op.put) needs.push(write(op.put.key));
    else if (op.delete) needs.push(write(op.delete.key));
    else if (op.get) needs.push(read(op.get.key));
  }
  return needs;
}

// readwrite includes read: a put's prevKv or a failed guard's current value needs nothing more.
const putNeeds = (r: PutRequest__Output): Need[] => [write(r.key)];
// A range delete needs readwrite on the whole range (or prefix) it names.
const deleteNeeds = (r: DeleteRequest__Output): Need[] => {
  if (r.prefix.byteLength > 0) return [{ access: 'write', start: r.prefix, end: prefixRangeEnd(r.prefix) }];
  return r.end.byteLength > 0 ? [{ access: 'write', start: r.key, end: r.end }] : [write(r.key)];
};
const compactNeeds: Need[] = [{ access: 'admin', right: 'compaction' }];
const getNeeds = (r: GetRequest__Output): Need[] => [read(r.key)];
const rangeNeeds = (r: RangeRequest__Output): Need[] => [selectedKeys(r)];
// A revoke deletes the keys attached to the lease: it needs readwrite on each (as in etcd).
const leaseRevokeNeeds = (r: LeaseRevokeRequest__Output, context: RuleContext): Need[] => context.leaseKeys(Number(r.id)).map(write);

export const KV_RULES: RuleTable<KVHandlers> = {
  Put: keys(putNeeds),
  Get: keys(getNeeds),
  Delete: keys(deleteNeeds),
  Range: keys(rangeNeeds),
  Txn: keys(txnNeeds),
  Batch: { kind: 'batch' },
  Watch: keys((r: WatchRequest__Output) => [selectedKeys(r)]),
  // Granting, keeping alive and reading leases touch no key (a put attaching a key to one needs
  // readwrite on the key); anyone authenticated may.
  LeaseGrant: userRule,
  LeaseKeepAlive: userRule,
  LeaseKeepAliveStream: userRule,
  LeaseTimeToLive: userRule,
  LeaseList: userRule,
  LeaseRevoke: keys(leaseRevokeNeeds),
  Compact: admin('compaction'),
};

/**
 * What each request inside a Batch stream needs: as its unary method. Undefined for an
 * operation this table does not know, which is refused (add it here with its unary row).
 */
export function batchRequestNeeds(request: BatchRequest__Output, context: RuleContext): Need[] | undefined {
  if (request.put) return putNeeds(request.put);
  if (request.get) return getNeeds(request.get);
  if (request.delete) return deleteNeeds(request.delete);
  if (request.range) return rangeNeeds(request.range);
  if (request.txn) return txnNeeds(request.txn);
  if (request.compact) return compactNeeds;
  if (request.leaseRevoke) return leaseRevokeNeeds(request.leaseRevoke, context);
  if (request.leaseGrant || request.leaseKeepAlive || request.leaseTimeToLive || request.leaseList) return [];
  return undefined;
}

export const CLUSTER_RULES: RuleTable<ClusterHandlers> = {
  // Membership and progress, no data: any client may find the leader (the SDK's discovery).
  Status: publicRule,
  MemberList: publicRule,
  MemberAddLearner: admin('membership'),
  MemberPromote: admin('membership'),
  MemberRemove: admin('membership'),
  TransferLeadership: admin('membership'),
  Backup: admin('backup'),
  SetPlacement: admin('membership'),
};

export const AUTH_RULES: RuleTable<AuthHandlers> = {
  Authenticate: publicRule,
  AuthStatus: userRule,
  AuthEnable: admin('auth'),
  AuthDisable: admin('auth'),
  RotateSigningKey: admin('auth'),
  UserAdd: admin('auth'),
  UserDelete: admin('auth'),
  // A user may change its own password (checked in the handler); anyone else's needs the right.
  UserChangePassword: userRule,
  UserGrantRole: admin('auth'),
  UserRevokeRole: admin('auth'),
  UserList: admin('auth'),
  RoleAdd: admin('auth'),
  RoleDelete: admin('auth'),
  RoleGrant: admin('auth'),
  RoleRevoke: admin('auth'),
  RoleList: admin('auth'),
};

const openService = { public: true } as const;

/** Every service of the client port, by its full name. */
export const SERVICE_RULES: ReadonlyMap<string, Readonly<Record<string, Rule>> | typeof openService> = new Map<
  string,
  Readonly<Record<string, Rule>> | typeof openService
>([
  ['holdfast.v1.KV', KV_RULES],
  ['holdfast.v1.Cluster', CLUSTER_RULES],
  ['holdfast.v1.Auth', AUTH_RULES],
  ['grpc.health.v1.Health', openService],
  ['grpc.reflection.v1.ServerReflection', openService],
  ['grpc.reflection.v1alpha.ServerReflection', openService],
]);

/** The rule of a method path (`/holdfast.v1.KV/Put`); undefined for a method the table does not know. */
export function ruleOf(path: string): Rule | undefined {
  const [, service, method] = path.split('/');
  if (service === undefined || method === undefined) return undefined;
  const table = SERVICE_RULES.get(service);
  if (table === undefined) return undefined;
  if ('public' in table && table.public === true) return publicRule;
  return (table as Readonly<Record<string, Rule>>)[method];
}
