/** Prometheus metrics (prom-client) and the HTTP(S) endpoint that serves them. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TlsMaterial } from './tls.js';

const ROLES = ['follower', 'preCandidate', 'candidate', 'leader'] as const;

/** Values read when Prometheus scrapes, rather than kept up to date on every operation. */
export interface ScrapeSources {
  pendingReads(): number;
  storeBytes(): number;
  clusterVersion(): number;
  watches(): { watchers: number; historyChanges: number; historyFirstRevision: number };
  history(): HistoryStatus;
  /** Leases held (the replicated lease table), and those this member's clock counts while it leads. */
  leases?(): { held: number; counted: number };
}

/** The key history as status and metrics show it. */
export interface HistoryStatus {
  readonly keyCount: number;
  readonly revision: number;
  /** 0 while the cluster keeps no history. */
  readonly compactRevision: number;
  /** LevelDB's estimate, refreshed now and then. */
  readonly historyBytes: number;
}

const NO_SOURCES: ScrapeSources = {
  pendingReads: () => 0,
  storeBytes: () => 0,
  clusterVersion: () => 0,
  watches: () => ({ watchers: 0, historyChanges: 0, historyFirstRevision: 0 }),
  history: () => ({ keyCount: 0, revision: 0, compactRevision: 0, historyBytes: 0 }),
};

export class NodeMetrics {
  readonly registry = new Registry();
  readonly role = new Gauge({ name: 'holdfast_role', help: '1 for the current role', labelNames: ['role'], registers: [this.registry] });
  readonly term = new Gauge({ name: 'holdfast_term', help: 'current Raft term', registers: [this.registry] });
  readonly leaderChanges = new Counter({ name: 'holdfast_leader_changes_total', help: 'leader changes seen', registers: [this.registry] });
  readonly hasLeader = new Gauge({ name: 'holdfast_has_leader', help: '1 when a leader is known', registers: [this.registry] });
  readonly commitIndex = new Gauge({ name: 'holdfast_commit_index', help: 'commit index', registers: [this.registry] });
  readonly appliedIndex = new Gauge({ name: 'holdfast_applied_index', help: 'applied index', registers: [this.registry] });
  readonly proposals = new Counter({
    name: 'holdfast_proposals_total',
    help: 'write proposals by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'holdfast_requests_total',
    help: 'client requests by operation and outcome',
    labelNames: ['op', 'outcome'],
    registers: [this.registry],
  });
  readonly authRefusals = new Counter({
    name: 'holdfast_auth_refusals_total',
    help: 'calls the auth guard refused, by method and kind (unauthenticated, permission-denied)',
    labelNames: ['method', 'kind'],
    registers: [this.registry],
  });
  readonly pendingProposals = new Gauge({ name: 'holdfast_pending_proposals', help: 'writes waiting', registers: [this.registry] });
  readonly stateCorruptions = new Counter({
    name: 'holdfast_state_corruption_total',
    help: 'damaged state records found (checksum failed, does not decode) or a state whose hash is not the one stored with it, by where',
    labelNames: ['where'],
    registers: [this.registry],
  });
  readonly stateHashMismatch = new Gauge({
    name: 'holdfast_state_hash_mismatch',
    help: "1 while this member's state hash at a checkpoint disagrees with another member's at the same index",
    registers: [this.registry],
  });
  readonly stateHashMismatches = new Counter({
    name: 'holdfast_state_hash_mismatch_total',
    help: "checkpoints at which another member's state hash disagreed with this member's",
    registers: [this.registry],
  });
  readonly readsRefused = new Gauge({
    name: 'holdfast_reads_refused',
    help: '1 while this member refuses reads: its state is damaged or in the minority of a hash comparison, until repaired',
    registers: [this.registry],
  });
  readonly repairing = new Gauge({
    name: 'holdfast_repairing',
    help: '1 while this member repairs itself from the others (its disk lost data; it does not vote), until the repair ends',
    registers: [this.registry],
  });
  readonly membersLostEntries = new Counter({
    name: 'holdfast_members_lost_entries_total',
    help: 'reports, heard as leader, of a member that lost entries it had acknowledged (its disk was damaged)',
    registers: [this.registry],
  });
  readonly stateScrubs = new Counter({
    name: 'holdfast_state_scrubs_total',
    help: 'background scrubs of the whole state (every record checked, the state hash recomputed), by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  /** What the scraped gauges below read (see readAtScrape). */
  private sources: ScrapeSources = NO_SOURCES;
  readonly pendingReads = this.scraped('holdfast_pending_reads', 'reads waiting', (s) => s.pendingReads());
  readonly leasesHeld = this.scraped('holdfast_leases', 'leases held, as of the applied index', (s) => s.leases?.().held ?? 0);
  readonly leasesCounted = this.scraped(
    'holdfast_leases_counted',
    "leases this member's clock counts toward expiry (the leader's; 0 on a follower)",
    (s) => s.leases?.().counted ?? 0,
  );
  readonly storeBytes = this.scraped(
    'holdfast_store_bytes',
    'bytes of keys and values held, as of the applied index (what --store-bytes-max counts)',
    (s) => s.storeBytes(),
  );
  readonly storeBytesMax = new Gauge({
    name: 'holdfast_store_bytes_max',
    help: 'the store quota (--store-bytes-max) this node stamps on the writes it proposes',
    registers: [this.registry],
  });
  readonly clusterVersion = this.scraped(
    'holdfast_cluster_version',
    'the apply version of the state, as of the applied index (docs/operations.md, Upgrading)',
    (s) => s.clusterVersion(),
  );
  readonly applyVersionMax = new Gauge({
    name: 'holdfast_apply_version_max',
    help: "the newest apply version this member's release implements",
    registers: [this.registry],
  });
  readonly watchers = this.scraped('holdfast_watchers', 'watches open on this node', (s) => s.watches().watchers);
  readonly watchHistoryChanges = this.scraped(
    'holdfast_watch_history_changes',
    'changes kept for watches that start in the past or resume',
    (s) => s.watches().historyChanges,
  );
  readonly watchHistoryFirstRevision = this.scraped(
    'holdfast_watch_history_first_revision',
    'the oldest revision a watch may start at on this node (older: compacted)',
    (s) => s.watches().historyFirstRevision,
  );

  readonly keys = this.scraped('holdfast_keys', 'keys held, as of the applied index', (s) => s.history().keyCount);
  readonly historyCompactRevision = this.scraped(
    'holdfast_history_compact_revision',
    'reads and watches below this revision are refused (compacted); 0 while no history is kept',
    (s) => s.history().compactRevision,
  );
  readonly historyRevisions = this.scraped(
    'holdfast_history_revisions',
    'revisions of key history kept (store revision minus the compacted revision)',
    (s) => (s.history().compactRevision === 0 ? 0 : s.history().revision - s.history().compactRevision),
  );
  readonly historyBytes = this.scraped('holdfast_history_bytes', "bytes of key history records on disk (LevelDB's estimate)", (s) => s.history().historyBytes);
  readonly compactions = new Counter({
    name: 'holdfast_history_compactions_total',
    help: 'compactions this member proposed by retention, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  /** Where the scraped gauges read their values from, once the node has built its parts. */
  readAtScrape(sources: ScrapeSources): void {
    this.sources = sources;
  }

  /** A gauge read at scrape time, so the path it describes pays nothing per operation. */
  private scraped(name: string, help: string, read: (sources: ScrapeSources) => number): Gauge {
    const gauge: Gauge = new Gauge({ name, help, registers: [this.registry], collect: (): void => gauge.set(read(this.sources)) });
    return gauge;
  }
  readonly peerRttSeconds = new Histogram({
    name: 'holdfast_peer_rtt_seconds',
    help: 'round-trip time to a peer, from a heartbeat to its answer (measured while leading)',
    labelNames: ['peer'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly leaseReads = new Counter({
    name: 'holdfast_lease_reads_total',
    help: 'linearizable reads a leader served under its read lease, without a quorum round (--read-mode lease)',
    registers: [this.registry],
  });
  readonly leaderPreferenceTransfers = new Counter({
    name: 'holdfast_leader_preference_transfers_total',
    help: 'leadership handovers this member started towards a better-ranked region (placement leader regions)',
    registers: [this.registry],
  });
  readonly fsyncSeconds = new Histogram({
    name: 'holdfast_fsync_seconds',
    help: 'synced log write latency',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly applySeconds = new Histogram({
    name: 'holdfast_apply_seconds',
    help: 'state machine apply latency per batch',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly entriesPerWrite = new Histogram({
    name: 'holdfast_entries_per_write',
    help: 'log entries per synced write (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly writesPerEntry = new Histogram({
    name: 'holdfast_writes_per_entry',
    help: 'client writes a leader packed into one log entry',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly peerQueueDepth = new Gauge({
    name: 'holdfast_peer_queue_depth',
    help: 'messages queued for a peer',
    labelNames: ['peer'],
    registers: [this.registry],
  });
  readonly peerReachable = new Gauge({
    name: 'holdfast_peer_reachable',
    help: 'per peer this node sends to: 1 while its raft stream carries traffic, 0 from a failed connection until one works',
    labelNames: ['peer'],
    registers: [this.registry],
  });
  readonly peerLinkGrpc = new Gauge({
    name: 'holdfast_peer_link_grpc',
    help: 'per peer this node sends to: 1 while it sends over gRPC (--peer-transport grpc, or a peer that speaks only gRPC), 0 over the TCP link',
    labelNames: ['peer'],
    registers: [this.registry],
  });
  readonly peerMessagesRejected = new Counter({
    name: 'holdfast_peer_messages_rejected_total',
    help: 'peer input dropped before it reached Raft: a malformed message, batch or snapshot call, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly snapshots = new Counter({ name: 'holdfast_snapshots_total', help: 'snapshots taken', registers: [this.registry] });
  readonly readBarriers = new Counter({
    name: 'holdfast_read_barriers_total',
    help: 'reads that waited for a ReadIndex confirmation (linearizable, or bounded staleness past its bound)',
    registers: [this.registry],
  });
  readonly boundedReadsLocal = new Counter({
    name: 'holdfast_bounded_reads_local_total',
    help: 'bounded-staleness reads answered from a recent confirmation, without a barrier of their own',
    registers: [this.registry],
  });

  constructor() {
    processMetrics();
  }

  setRole(role: string): void {
    for (const r of ROLES) this.role.set({ role: r }, r === role ? 1 : 0);
  }

  /** What the metrics endpoint serves: this node's metrics, then the process's. */
  text(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** How often the event loop delay histogram samples (prom-client's nodejs_eventloop_lag_*). */
const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

let processRegistry: Registry | undefined;

/**
 * The process's own metrics (prom-client's defaults: CPU, memory, handles, event loop delay, GC),
 * collected once per process into a registry of their own. Collecting them starts an event loop
 * delay monitor and a GC observer that nothing stops, and those hold their registry and, through
 * it, every metric and scrape source registered beside them: made per NodeMetrics, each member
 * a process makes (the simulator makes thousands, a restarted member in tests a few) stayed
 * alive for good, with its native histogram, and every GC was told to all of them.
 */
function processMetrics(): Registry {
  if (processRegistry !== undefined) return processRegistry;
  processRegistry = new Registry();
  // The event loop delay monitor samples on a timer of its own; at prom-client's default 10 ms
  // it wakes an idle node 100 times a second. 100 ms still shows every stall that matters.
  collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
  return processRegistry;
}

export function serveMetrics(metrics: NodeMetrics, address: string, tls: TlsMaterial | undefined): Promise<Server> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  };
  // With TLS, the metrics port is HTTPS with the node's certificate, and asks scrapers for a
  // certificate the cluster CA signed exactly when clients must show one (--tls-client-auth).
  const server: Server =
    tls === undefined
      ? createServer(handle)
      : createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.clientAuth, rejectUnauthorized: tls.clientAuth }, handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
