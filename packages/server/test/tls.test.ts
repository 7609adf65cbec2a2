// The peer listener of a node with TLS: only members (certificates the cluster CA signed) talk Raft.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type RaftAck__Output } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
const pem = (name: string): Buffer => readFileSync(join(fixtures, name));

/** Opens a Raft stream to `address` and reports how it ended: an ack (accepted) or a status. */
function openRaftStream(address: string, credentials: grpc.ChannelCredentials): Promise<'acknowledged' | grpc.status> {
  const client = new (loadProtos().RaftClient)(address, credentials);
  return new Promise((resolve) => {
    const stream = client.stream({ deadline: Date.now() + 5000 });
    const done = (outcome: 'acknowledged' | grpc.status): void => {
      stream.cancel();
      client.close();
      resolve(outcome);
    };
    stream.on('data', (_ack: RaftAck__Output) => done('acknowledged'));
    stream.on('error', (error: grpc.ServiceError) => done(error.code));
    // A batch for a member id that does not exist: an accepted stream answers it with a refusal ack.
    stream.write({ clusterId: 'tls-peers', from: 99, to: 99, messages: Buffer.alloc(0) });
  });
}

describe('the peer listener with TLS', () => {
  const data = tempDir('tls-peers');
  let cluster: LocalCluster | undefined;
  let peerAddress = '';

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: data.path,
      size: 1,
      clusterId: 'tls-peers',
      logLevel: 'warn',
      tls: { certFile: join(fixtures, 'node.pem'), keyFile: join(fixtures, 'node-key.pem'), caFile: join(fixtures, 'ca.pem') },
    });
    await cluster.waitForLeader(20_000);
    peerAddress = cluster.member(1).peerAddress;
  });

  afterAll(async () => {
    await cluster?.stop();
    data.remove();
  });

  it('accepts a stream from a member certificate signed by the cluster CA', async () => {
    expect(await openRaftStream(peerAddress, grpc.credentials.createSsl(pem('ca.pem'), pem('node-key.pem'), pem('node.pem')))).toBe(
      'acknowledged',
    );
  });

  it('refuses a peer without a certificate, with one another CA signed, and in plaintext', async () => {
    expect(await openRaftStream(peerAddress, grpc.credentials.createSsl(pem('ca.pem')))).toBe(grpc.status.UNAVAILABLE);
    expect(await openRaftStream(peerAddress, grpc.credentials.createSsl(pem('ca.pem'), pem('rogue-key.pem'), pem('rogue.pem')))).toBe(
      grpc.status.UNAVAILABLE,
    );
    expect(await openRaftStream(peerAddress, grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
  });
});
