/**
 * The bad-credentials nemesis: for the whole run, a prober connects straight to every member's
 * client and peer ports with credentials that must not pass (none, a forged token, an expired
 * token, a user without grants, a wrong password, a certificate naming no user; on the peer
 * port plaintext, a client certificate, a certificate of another CA, a member certificate of a
 * non-member, a member's certificate claiming a sender outside the membership) and counts the
 * answers. Any call that goes through fails the verdict; so does a probe no member ever refused
 * (it proved nothing). Runs the cluster with TLS (certificates made for the run with openssl)
 * and auth on, the workload logging in as a user allowed every key.
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type RaftAck__Output } from '@holdfast/protocol';

/** The run's certificates and users. */
export interface BenchSecurity {
  readonly caFile: string;
  /** Names every member id the run may use (1..memberIdMax) and 127.0.0.1. */
  readonly memberCertFile: string;
  readonly memberKeyFile: string;
  /** Client use only, CN "holdfast bench client" (no user has that name). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Member-like, signed by a CA the cluster does not trust. */
  readonly rogueCertFile: string;
  readonly rogueKeyFile: string;
  /** Signed by the cluster CA for member 99, which is never a member. */
  readonly impostorCertFile: string;
  readonly impostorKeyFile: string;
  /** The workload's user: readwrite on every key, admin rights but auth. */
  readonly user: { readonly name: string; readonly password: string };
  /** A user holding no role. */
  readonly probeUser: { readonly name: string; readonly password: string };
  readonly rootPassword: string;
  /** Token lifetime: short, so tokens expire (and the workload renews them) during the run. */
  readonly tokenTtlMs: number;
}

export const IMPOSTOR_MEMBER_ID = 99;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** Makes the run's CA and certificates with openssl (valid 2 days; thrown away with the run). */
export function makeBenchSecurity(dir: string, memberIdMax: number): BenchSecurity {
  fs.mkdirSync(dir, { recursive: true });
  const ca = (name: string, subject: string): void =>
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${subject}`,
      '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (name: string, options: { ca: string; subject: string; usage: string; san: string }): void => {
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${options.usage}`,
      ...(options.san === '' ? [] : [`subjectAltName=${options.san}`]),
    ];
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext.join('\n'));
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${options.subject}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${options.ca}.pem`, '-CAkey', `${options.ca}-key.pem`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  };
  ca('ca', 'holdfast bench CA');
  ca('other-ca', 'some other CA');
  const members = Array.from({ length: memberIdMax }, (_, i) => `,URI:holdfast://member/${i + 1}`).join('');
  leaf('member', { ca: 'ca', subject: 'holdfast bench member', usage: 'serverAuth,clientAuth', san: `IP:127.0.0.1,DNS:localhost${members}` });
  leaf('client', { ca: 'ca', subject: 'holdfast bench client', usage: 'clientAuth', san: '' });
  leaf('rogue', { ca: 'other-ca', subject: 'rogue member', usage: 'serverAuth,clientAuth', san: `IP:127.0.0.1${members}` });
  leaf('impostor', { ca: 'ca', subject: 'impostor', usage: 'serverAuth,clientAuth', san: `IP:127.0.0.1,URI:holdfast://member/${IMPOSTOR_MEMBER_ID}` });
  const file = (name: string): string => path.join(dir, name);
  const secret = (): string => randomBytes(12).toString('base64url');
  return {
    caFile: file('ca.pem'),
    memberCertFile: file('member.pem'),
    memberKeyFile: file('member-key.pem'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client-key.pem'),
    rogueCertFile: file('rogue.pem'),
    rogueKeyFile: file('rogue-key.pem'),
    impostorCertFile: file('impostor.pem'),
    impostorKeyFile: file('impostor-key.pem'),
    user: { name: 'bench', password: secret() },
    probeUser: { name: 'bench-probe', password: secret() },
    rootPassword: secret(),
    tokenTtlMs: 15_000,
  };
}

/** A member as the prober reaches it: straight, not through the proxies. */
export interface ProbedMember {
  readonly id: number;
  readonly clientAddress: string;
  readonly peerAddress: string;
  readonly running: boolean;
}

/** How each kind of bad credential fared over the run. */
export interface ProbeCounts {
  attempts: number;
  refused: number;
  /** No answer (the member was down, paused or cut off): proves nothing either way. */
  unanswered: number;
  accepted: number;
}

export interface BadCredentialsSummary {
  rounds: number;
  probes: Record<string, ProbeCounts>;
  /** Each call that went through, described. */
  accepted: string[];
}

type Verdict = 'refused' | 'accepted' | 'unanswered';

/** Long enough for a loaded machine: a login waits for a read barrier and a scrypt hash. */
const PROBE_DEADLINE_MS = 5000;

/**
 * A status that says the member answered and refused (not a lost connection or a timeout). A
 * TLS handshake the member refuses fails the call as UNAVAILABLE: `handshakeRefused` takes that
 * as the refusal (the member is known to be running).
 */
function refusal(error: grpc.ServiceError, expected: readonly grpc.status[], handshakeRefused = false): Verdict {
  if (expected.includes(error.code)) return 'refused';
  if (handshakeRefused && error.code === grpc.status.UNAVAILABLE) return 'refused';
  if (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED || error.code === grpc.status.CANCELLED) return 'unanswered';
  // Any other failure is a refusal too: the call did not go through.
  return 'refused';
}

function unary(client: grpc.Client, method: string, request: object, metadata: grpc.Metadata, expected: readonly grpc.status[]): Promise<Verdict> {
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!;
    fn.call(client, request, metadata, { deadline: Date.now() + PROBE_DEADLINE_MS }, (error: grpc.ServiceError | null) => {
      resolve(error === null ? 'accepted' : refusal(error, expected));
    });
  });
}

function bearer(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** A token in the cluster's format, signed by a key the cluster never had. */
function forgedToken(user: string): string {
  const payload = Buffer.from(JSON.stringify({ u: user, k: 1, r: 0, e: Date.now() + 3_600_000 })).toString('base64url');
  return `${payload}.${createHmac('sha256', randomBytes(32)).update(payload).digest('base64url')}`;
}

export class BadCredentialsProber {
  private readonly protos = loadProtos();
  private readonly pem: (file: string) => Buffer;
  private readonly counts = new Map<string, ProbeCounts>();
  private readonly accepted: string[] = [];
  private rounds = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Tokens of the probe user, oldest first: an expired one is used as such. */
  private readonly probeTokens: { token: string; expiresAtMs: number }[] = [];
  /** Client-port channels, by member address and kind: token probes reuse their connection. */
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly options: {
      readonly security: BenchSecurity;
      readonly clusterId: string;
      members(): ProbedMember[];
      readonly intervalMs: number;
    },
  ) {
    const cache = new Map<string, Buffer>();
    this.pem = (file) => {
      let bytes = cache.get(file);
      if (bytes === undefined) {
        bytes = fs.readFileSync(file);
        cache.set(file, bytes);
      }
      return bytes;
    };
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.round();
        await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs));
      }
    })();
  }

  async stop(): Promise<BadCredentialsSummary> {
    this.running = false;
    await this.loop;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    return { rounds: this.rounds, probes: Object.fromEntries(this.counts), accepted: this.accepted };
  }

  private record(probe: string, member: ProbedMember, verdict: Verdict): void {
    let counts = this.counts.get(probe);
    if (counts === undefined) {
      counts = { attempts: 0, refused: 0, unanswered: 0, accepted: 0 };
      this.counts.set(probe, counts);
    }
    counts.attempts += 1;
    counts[verdict] += 1;
    if (verdict === 'accepted') this.accepted.push(`${probe} went through on member ${member.id}`);
  }

  private async round(): Promise<void> {
    this.rounds += 1;
    for (const member of this.options.members()) {
      if (!member.running) continue;
      await this.probeClientPort(member);
      await this.probePeerPort(member);
    }
  }

  private channel(kind: 'KvClient' | 'ClusterClient' | 'AuthClient', address: string, credentials: () => grpc.ChannelCredentials, tag = ''): grpc.Client {
    const key = `${kind}/${address}/${tag}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = new this.protos[kind](address, credentials(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as grpc.Client;
      this.clients.set(key, client);
    }
    return client;
  }

  private async probeClientPort(member: ProbedMember): Promise<void> {
    const { security } = this.options;
    const tls = (): grpc.ChannelCredentials => grpc.credentials.createSsl(this.pem(security.caFile));
    const kv = this.channel('KvClient', member.clientAddress, tls);
    const auth = this.channel('AuthClient', member.clientAddress, tls);
    const cluster = this.channel('ClusterClient', member.clientAddress, tls);
    const put = { key: Buffer.from('probe/bad-credentials'), value: Buffer.from('must not be written') };
    const unauthenticated = [grpc.status.UNAUTHENTICATED];
    const denied = [grpc.status.PERMISSION_DENIED];
    this.record('client:no-credentials', member, await unary(kv, 'put', put, new grpc.Metadata(), unauthenticated));
    this.record('client:forged-token', member, await unary(kv, 'put', put, bearer(forgedToken(security.user.name)), unauthenticated));
    this.record('client:wrong-password', member, await unary(auth, 'authenticate', { name: security.user.name, password: 'not the password' }, new grpc.Metadata(), unauthenticated));
    const fresh = await this.probeToken(auth);
    if (fresh !== undefined) {
      this.record('client:user-without-grant', member, await unary(kv, 'put', put, bearer(fresh), denied));
      this.record('client:admin-without-right', member, await unary(cluster, 'memberRemove', { id: IMPOSTOR_MEMBER_ID }, bearer(fresh), denied));
    }
    const expired = this.probeTokens.find((held) => held.expiresAtMs < Date.now() - 1000);
    if (expired !== undefined) this.record('client:expired-token', member, await unary(kv, 'put', put, bearer(expired.token), unauthenticated));
    const unknownCertificate = (): grpc.ChannelCredentials =>
      grpc.credentials.createSsl(this.pem(security.caFile), this.pem(security.clientKeyFile), this.pem(security.clientCertFile));
    const kvByCertificate = this.channel('KvClient', member.clientAddress, unknownCertificate, 'client-certificate');
    this.record('client:certificate-of-no-user', member, await unary(kvByCertificate, 'put', put, new grpc.Metadata(), unauthenticated));
  }

  /** A token of the probe user (no role): logged in once every few seconds, the old ones kept to expire. */
  private async probeToken(auth: grpc.Client): Promise<string | undefined> {
    const newest = this.probeTokens.at(-1);
    if (newest !== undefined && newest.expiresAtMs - Date.now() > this.options.security.tokenTtlMs / 2) return newest.token;
    const { name, password } = this.options.security.probeUser;
    const issued = await new Promise<{ token: string; expiresAtMs: number } | undefined>((resolve) => {
      (auth as unknown as Record<string, (...args: unknown[]) => void>)['authenticate']!.call(
        auth,
        { name, password },
        { deadline: Date.now() + PROBE_DEADLINE_MS },
        (error: grpc.ServiceError | null, response?: { token: string; expiresAtMs: number }) => resolve(error === null ? response : undefined),
      );
    });
    if (issued === undefined) return newest !== undefined && newest.expiresAtMs > Date.now() ? newest.token : undefined;
    this.probeTokens.push(issued);
    // Keep a few: the oldest expired one is all the expired-token probe needs.
    if (this.probeTokens.length > 4) this.probeTokens.splice(0, this.probeTokens.length - 4);
    return issued.token;
  }

  private async probePeerPort(member: ProbedMember): Promise<void> {
    const { security } = this.options;
    const identity = (cert: string, key: string): grpc.ChannelCredentials =>
      grpc.credentials.createSsl(this.pem(security.caFile), this.pem(key), this.pem(cert));
    const batch = (from: number) => ({ clusterId: this.options.clusterId, from, to: member.id });
    this.record('peer:plaintext', member, await this.raftBatch(member, grpc.credentials.createInsecure(), batch(1), true));
    this.record('peer:client-certificate', member, await this.raftBatch(member, identity(security.clientCertFile, security.clientKeyFile), batch(1)));
    // Its certificate chain is refused in the handshake (the member does not trust that CA).
    const rogue = grpc.credentials.createSsl(this.pem(security.caFile), this.pem(security.rogueKeyFile), this.pem(security.rogueCertFile));
    this.record('peer:certificate-of-another-ca', member, await this.raftBatch(member, rogue, batch(1), true));
    this.record(
      'peer:certificate-of-a-non-member',
      member,
      await this.raftBatch(member, identity(security.impostorCertFile, security.impostorKeyFile), batch(IMPOSTOR_MEMBER_ID)),
    );
    this.record(
      'peer:sender-outside-the-membership',
      member,
      await this.raftBatch(member, identity(security.memberCertFile, security.memberKeyFile), batch(IMPOSTOR_MEMBER_ID)),
    );
  }

  /** One empty Raft batch on the peer port's gRPC stream: refused when the ack names an error or the call fails. */
  private raftBatch(
    member: ProbedMember,
    credentials: grpc.ChannelCredentials,
    head: { clusterId: string; from: number; to: number },
    handshakeRefused = false,
  ): Promise<Verdict> {
    const client = new this.protos.RaftClient(member.peerAddress, credentials, { 'grpc.use_local_subchannel_pool': 1 });
    return new Promise<Verdict>((resolve) => {
      const stream = client.stream({ deadline: Date.now() + PROBE_DEADLINE_MS });
      let settled = false;
      const done = (verdict: Verdict): void => {
        if (settled) return;
        settled = true;
        stream.cancel();
        client.close();
        resolve(verdict);
      };
      stream.on('data', (ack: RaftAck__Output) => done(ack.error === '' ? 'accepted' : 'refused'));
      stream.on('error', (error: grpc.ServiceError) => done(refusal(error, [grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED], handshakeRefused)));
      stream.on('end', () => done('refused'));
      stream.write({ ...head, messages: Buffer.alloc(0), applyVersion: 1 });
    });
  }
}

/** The verdict's part: nothing went through, and each kind of probe was refused at least once. */
export function badCredentialsFailures(summary: BadCredentialsSummary): string[] {
  const failures = summary.accepted.slice(0, 10).map((line) => `bad credentials accepted: ${line}`);
  if (summary.accepted.length > 10) failures.push(`bad credentials accepted ${summary.accepted.length} times in all`);
  for (const [probe, counts] of Object.entries(summary.probes)) {
    if (counts.refused === 0) failures.push(`bad-credentials probe ${probe} was never answered with a refusal (${counts.attempts} attempts)`);
  }
  return failures;
}
