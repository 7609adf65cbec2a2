// Peer identity with TLS, real processes: each member's certificate names its member id
// (URI:holdfast://member/<id>). A certificate the cluster CA signed is not enough to speak Raft:
// one without a member identity (a client's) is refused on the peer port, a batch whose sender is
// not the member the certificate names is refused, a sender outside the membership is refused, and
// a member started with another member's certificate takes no part (it cannot dial, nor be dialled).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type RaftAck__Output, type SnapshotAck__Output } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { tempDir } from './helpers.js';

const data = tempDir('peer-identity');
const certs = join(data.path, 'certs');

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
}

/** A test CA and leaf certificates made with openssl: `members` name one member id each. */
function makeCertificates(): void {
  execFileSync('mkdir', ['-p', certs]);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=identity test CA',
    '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = (name: string, usage: string, san: string): void => {
    writeFileSync(join(certs, `${name}.ext`), ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${usage}`, ...(san === '' ? [] : [`subjectAltName=${san}`])].join('\n'));
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`]);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  };
  for (const id of [1, 2, 3, 9]) leaf(`member-${id}`, 'serverAuth,clientAuth', `IP:127.0.0.1,DNS:localhost,URI:holdfast://member/${id}`);
  leaf('client', 'clientAuth', '');
}

const pem = (name: string): Buffer => readFileSync(join(certs, name));
const identity = (name: string) => grpc.credentials.createSsl(pem('ca.pem'), pem(`${name}-key.pem`), pem(`${name}.pem`));

/** Opens a Raft stream as `name`, sends one empty batch `from` → `to`; the refusal the ack carries ('' if none), or the call's status. */
function raftStreamAnswer(address: string, name: string, batch: { clusterId: string; from: number; to: number }): Promise<string> {
  const client = new (loadProtos().RaftClient)(address, identity(name));
  return new Promise((resolve) => {
    const stream = client.stream({ deadline: Date.now() + 5000 });
    const done = (answer: string): void => {
      stream.cancel();
      client.close();
      resolve(answer);
    };
    stream.on('data', (ack: RaftAck__Output) => done(ack.error));
    stream.on('error', (error: grpc.ServiceError) => done(`status ${error.code}`));
    stream.write({ ...batch, messages: Buffer.alloc(0), applyVersion: 2 });
  });
}

function snapshotAnswer(address: string, name: string, head: { clusterId: string; from: number; to: number }): Promise<string> {
  const client = new (loadProtos().RaftClient)(address, identity(name));
  return new Promise((resolve) => {
    const snapshotCall = client.sendSnapshot({ deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null, ack?: SnapshotAck__Output) => {
      client.close();
      resolve(error ? `status ${error.code}` : (ack?.error ?? ''));
    });
    snapshotCall.write({ ...head, message: Buffer.alloc(0), data: Buffer.alloc(0), last: true });
    snapshotCall.end();
  });
}

/** A put over TLS on the client port, retried while the cluster settles. */
async function tlsPut(address: string, key: string, value: string): Promise<void> {
  const client = new (loadProtos().KvClient)(address, grpc.credentials.createSsl(pem('ca.pem')));
  const deadline = Date.now() + 15_000;
  try {
    for (;;) {
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.put({ key: Buffer.from(key), value: Buffer.from(value) }, { deadline: Date.now() + 3000 }, (e: grpc.ServiceError | null) => resolve(e)),
      );
      if (error === null) return;
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  } finally {
    client.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('peer identity', () => {
  let cluster: LocalCluster | undefined;
  /** Which certificate each member starts with. */
  const certificateOf = new Map<number, string>([[1, 'member-1'], [2, 'member-2'], [3, 'member-3']]);

  beforeAll(async () => {
    makeCertificates();
    cluster = await LocalCluster.start({
      dataDir: join(data.path, 'cluster'),
      size: 3,
      clusterId: 'identity',
      logLevel: 'info',
      tls: {
        certFile: join(certs, 'member-1.pem'),
        keyFile: join(certs, 'member-1-key.pem'),
        caFile: join(certs, 'ca.pem'),
        memberCertificate: (id) => {
          const name = certificateOf.get(id) ?? `member-${id}`;
          return { certFile: join(certs, `${name}.pem`), keyFile: join(certs, `${name}-key.pem`) };
        },
      },
    });
    await cluster.waitForLeader(20_000);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    data.remove();
  });

  it('members with their own certificates elect a leader and commit', async () => {
    const local = cluster as LocalCluster;
    await tlsPut((await local.waitForLeader()).clientAddress, 'identity/first', 'v');
    // Every member answers the leader's status round (over TLS, each with its own certificate).
    const deadline = Date.now() + 20_000;
    let roles: string[] = [];
    while (Date.now() < deadline) {
      const status = await local.status((await local.waitForLeader()).id).catch(() => undefined);
      roles = status?.members.map((m) => m.role ?? '') ?? [];
      if (roles.length === 3 && !roles.includes('unreachable')) break;
      await sleep(200);
    }
    expect(roles.length).toBe(3);
    expect(roles).not.toContain('unreachable');
  });

  it('refuses a client certificate, a certificate for another member, and a sender outside the membership', async () => {
    const local = cluster as LocalCluster;
    const address = local.member(1).peerAddress;
    const batch = { clusterId: 'identity', to: 1 };
    expect(await raftStreamAnswer(address, 'client', { ...batch, from: 2 })).toContain("names no member (holdfast://member/<id>): a client's certificate is refused");
    expect(await raftStreamAnswer(address, 'member-2', { ...batch, from: 3 })).toBe('the certificate names member 2, but the batch says it is from member 3');
    expect(await raftStreamAnswer(address, 'member-9', { ...batch, from: 9 })).toBe('sender 9 is not a member of this cluster');
    expect(await snapshotAnswer(address, 'client', { ...batch, from: 2 })).toContain('names no member');
    expect(await snapshotAnswer(address, 'member-2', { ...batch, from: 3 })).toContain('names member 2, but the batch says it is from member 3');
    const log = readFileSync(local.member(1).logFile, 'utf8');
    expect(log).toContain('peer input refused and dropped');
  });

  it('a member started with another member’s certificate takes no part; the others go on', async () => {
    const local = cluster as LocalCluster;
    if ((await local.waitForLeader()).id === 3) {
      await local.restart(3);
      await local.waitForLeader();
    }
    await local.kill(3, 'SIGTERM');
    certificateOf.set(3, 'member-2');
    local.startMember(3);
    const leader = await local.waitForLeader();
    expect(leader.id).not.toBe(3);
    await tlsPut(leader.clientAddress, 'identity/k', 'v');
    // Member 3 hears nothing: the others refuse to dial a peer whose certificate names member 2,
    // and refuse its batches (they say member 3; its certificate names member 2).
    const deadline = Date.now() + 20_000;
    let refusedOnDial = false;
    let refusedOnReceive = false;
    while (Date.now() < deadline && !(refusedOnDial && refusedOnReceive)) {
      const logs = [1, 2].map((id) => readFileSync(local.member(id).logFile, 'utf8')).join('\n');
      refusedOnDial = logs.includes('shows a certificate for member 2, not member 3');
      refusedOnReceive = logs.includes('the certificate names member 2, but the batch says it is from member 3');
      await sleep(200);
    }
    expect({ refusedOnDial, refusedOnReceive }).toEqual({ refusedOnDial: true, refusedOnReceive: true });
    const own = await local.call<{ appliedIndex: number | string; leaderId: number | string }>(local.member(3).clientAddress, 'status', { localOnly: true }).catch(() => undefined);
    expect(Number(own?.leaderId ?? 0)).toBe(0);
  }, 60_000);
});
