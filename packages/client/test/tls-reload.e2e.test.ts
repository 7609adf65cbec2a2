// Certificate reload without restart, real processes (needs packages/server built): under a write
// loop, the CA file becomes a bundle of the old and a new CA, every member's certificate is
// replaced by one the new CA signed, then the old CA is dropped; the members read their files
// again on change (and take SIGHUP without stopping). No write fails, every acknowledged write is
// read back through a client that trusts only the new CA, and the old CA's certificates are refused.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type RaftAck__Output } from '@holdfast/protocol';
import { LocalCluster } from '@holdfast/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'holdfast-tls-reload-'));
const certs = join(root, 'certs');
mkdirSync(certs);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
}

function makeCa(name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

/** A member's certificate and key signed by `ca`, as `<name>.pem` and `<name>-key.pem`. */
function makeMember(name: string, id: number, ca: string): void {
  writeFileSync(join(certs, `${name}.ext`), ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=IP:127.0.0.1,DNS:localhost,URI:holdfast://member/${id}`].join('\n'));
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`]);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

const pem = (name: string): Buffer => readFileSync(join(certs, name));

/** Replaces a file as a deployment tool would: written aside, renamed into place. */
function replaceFile(path: string, bytes: Buffer): void {
  writeFileSync(`${path}.new`, bytes);
  renameSync(`${path}.new`, path);
}

function reloadsIn(logFile: string): number {
  return readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('TLS certificates reloaded')).length;
}

async function waitForReloads(cluster: LocalCluster, ids: number[], counts: Map<number, number>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const id of ids) {
    while (reloadsIn(cluster.member(id).logFile) <= (counts.get(id) ?? 0)) {
      if (Date.now() > deadline) throw new Error(`member ${id} did not reload its TLS files`);
      await sleep(100);
    }
    counts.set(id, reloadsIn(cluster.member(id).logFile));
  }
}

/** A Raft stream opened with `credentials`: 'acknowledged' when the peer port took the connection, else the status. */
function peerPortAnswer(address: string, credentials: grpc.ChannelCredentials): Promise<string> {
  const client = new (loadProtos().RaftClient)(address, credentials);
  return new Promise((resolve) => {
    const stream = client.stream({ deadline: Date.now() + 5000 });
    const done = (answer: string): void => {
      stream.cancel();
      client.close();
      resolve(answer);
    };
    stream.on('data', (_ack: RaftAck__Output) => done('acknowledged'));
    stream.on('error', (error: grpc.ServiceError) => done(`status ${error.code}`));
    stream.write({ clusterId: 'reload', from: 2, to: 1, messages: Buffer.alloc(0), applyVersion: 2 });
  });
}

let cluster: LocalCluster | undefined;

afterAll(async () => {
  await cluster?.stop();
  if (process.env['HOLDFAST_KEEP_TEST_DATA'] !== '1') rmSync(root, { recursive: true, force: true });
});

describe('certificate reload', () => {
  it('rotates the CA and every member certificate under a write loop and drops no write', async () => {
    makeCa('ca1');
    makeCa('ca2');
    for (const id of [1, 2, 3]) {
      makeMember(`member-${id}`, id, 'ca1');
      makeMember(`new-member-${id}`, id, 'ca2');
    }
    makeMember('old-member-2', 2, 'ca1');
    const caFile = join(certs, 'ca.pem');
    writeFileSync(caFile, pem('ca1.pem'));
    const bundle = Buffer.concat([pem('ca1.pem'), pem('ca2.pem')]);
    const local = await LocalCluster.start({
      dataDir: join(root, 'cluster'),
      size: 3,
      clusterId: 'reload',
      tls: {
        certFile: join(certs, 'member-1.pem'),
        keyFile: join(certs, 'member-1-key.pem'),
        caFile,
        memberCertificate: (id) => ({ certFile: join(certs, `member-${id}.pem`), keyFile: join(certs, `member-${id}-key.pem`) }),
      },
    });
    cluster = local;
    await local.waitForLeader(30_000);
    const endpoints = local.endpoints();

    // The clients trust both CAs for the rotation's length, as the runbook says.
    const client = createClient({ endpoints, deadlineMs: 20_000, tls: { ca: bundle } });
    const acknowledged = new Map<string, string>();
    const failures: string[] = [];
    let writing = true;
    const writer = async (lane: number): Promise<void> => {
      for (let i = 0; writing; i++) {
        const key = `reload/${lane}/${i}`;
        try {
          await client.put(key, `v${i}`);
          acknowledged.set(key, `v${i}`);
        } catch (error) {
          failures.push(`${key}: ${(error as Error).message}`);
        }
      }
    };
    const loop = Promise.all([0, 1, 2, 3].map(writer));
    const counts = new Map<number, number>();
    const ids = [1, 2, 3];
    try {
      await sleep(500);
      // 1. every member trusts both CAs.
      replaceFile(caFile, bundle);
      await waitForReloads(local, ids, counts);
      // 2. every member's certificate is replaced by one the new CA signed (key first, then the
      //    certificate: the mismatched pair in between is refused and the old one stays).
      for (const id of ids) {
        replaceFile(join(certs, `member-${id}-key.pem`), pem(`new-member-${id}-key.pem`));
        await sleep(50);
        replaceFile(join(certs, `member-${id}.pem`), pem(`new-member-${id}.pem`));
      }
      await waitForReloads(local, ids, counts);
      // SIGHUP reads the files again and does not stop the node.
      for (const id of ids) process.kill(local.pid(id) ?? 0, 'SIGHUP');
      // 3. the old CA is dropped.
      replaceFile(caFile, pem('ca2.pem'));
      await waitForReloads(local, ids, counts);
      // A follower restarted now dials and is dialled with the new certificates only.
      const follower = ids.find((id) => local.isRunning(id) && readFileSync(local.member(id).logFile, 'utf8').includes('"role":"follower"')) ?? 3;
      await local.kill(follower, 'SIGKILL');
      local.startMember(follower);
      await sleep(3000);
      expect(ids.every((id) => local.isRunning(id))).toBe(true);
    } finally {
      writing = false;
      await loop;
    }
    expect(failures).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(20);

    // Read back through a client that trusts only the new CA: the servers show new certificates.
    const reader = createClient({ endpoints, deadlineMs: 20_000, tls: { ca: pem('ca2.pem') } });
    try {
      for (const [key, value] of acknowledged) expect((await reader.get(key))?.valueString()).toBe(value);
    } finally {
      reader.close();
      client.close();
    }
    // A member certificate of the old CA no longer opens the peer port; one of the new CA does.
    const address = local.member(1).peerAddress;
    const withIdentity = (name: string) => grpc.credentials.createSsl(pem('ca2.pem'), pem(`${name}-key.pem`), pem(`${name}.pem`));
    expect(await peerPortAnswer(address, withIdentity('old-member-2'))).toBe(`status ${grpc.status.UNAVAILABLE}`);
    expect(await peerPortAnswer(address, withIdentity('new-member-2'))).toBe('acknowledged');
  }, 120_000);
});
