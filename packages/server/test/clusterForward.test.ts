/**
 * A Cluster call taken by a follower is forwarded to the leader. What the follower answers when
 * that forward fails decides whether the SDK may send the call again: the leader's own refusal goes
 * back as it was; a forward that never reached the leader changed nothing (no-leader, retryable);
 * one that got no answer may have been acted on (timeout: outcome unknown, so a learner is not
 * added twice). Real gRPC on loopback: a follower's ClusterService, and leaders that refuse, hang
 * or are not there.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import type { MemberRecord } from '@holdfast/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterService } from '../src/clusterService.js';
import type { NodeDriver } from '../src/driver.js';
import { InvalidRequestError, toServiceError } from '../src/errors.js';
import { fakeClusterHost } from './helpers.js';

const REQUEST_TIMEOUT_MS = 400;
const learner = { name: 'n3', region: 'local', clientAddress: '127.0.0.1:7003', peerAddress: '127.0.0.1:7103' };
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function serveGrpc(service: grpc.UntypedServiceImplementation): Promise<string> {
  const server = new grpc.Server();
  server.addService(loadProtos().ClusterClient.service, service);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  stops.push(async () => {
    server.forceShutdown();
  });
  return `127.0.0.1:${port}`;
}

/** A TCP listener that takes connections and never says anything: a leader that hangs. */
async function silentListener(): Promise<string> {
  const sockets: Socket[] = [];
  const server: NetServer = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

/** An address where nothing listens (a port taken and given back). */
async function nothingListening(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

/** Member 1, a follower whose leader is member 2 at `leaderAddress`, serving its Cluster service. */
async function followerWithLeaderAt(leaderAddress: string): Promise<string> {
  const members: MemberRecord[] = [
    { id: 1, name: 'n1', region: 'local', clientAddress: '127.0.0.1:7001', peerAddress: '127.0.0.1:7101', learner: false },
    { id: 2, name: 'n2', region: 'local', clientAddress: leaderAddress, peerAddress: '127.0.0.1:7102', learner: false },
  ];
  const driver = { role: 'follower', leaderId: 2 } as unknown as NodeDriver;
  const service = new ClusterService(fakeClusterHost({ driver, members: () => members, requestTimeoutMs: REQUEST_TIMEOUT_MS }));
  stops.push(async () => service.close());
  return serveGrpc(service.implementation());
}

function addLearnerAt(address: string): Promise<grpc.ServiceError> {
  const client = new (loadProtos().ClusterClient)(address, grpc.credentials.createInsecure()) as unknown as grpc.Client &
    Record<string, (...args: unknown[]) => void>;
  return new Promise((resolve, reject) => {
    client['memberAddLearner']!.call(client, learner, { deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null) => {
      client.close();
      if (error) resolve(error);
      else reject(new Error('the forwarded call succeeded'));
    });
  });
}

const kindOf = (error: grpc.ServiceError): unknown => error.metadata.get('holdfast-error')[0];

describe('a Cluster call a follower forwards to the leader', () => {
  it('answers with the leader\'s own refusal, kind and status as they were', async () => {
    const leader = await serveGrpc({
      MemberAddLearner: (_call: unknown, callback: grpc.sendUnaryData<object>) =>
        callback(toServiceError(new InvalidRequestError('invalid-argument', 'adding a learner refused: the survival goal is region'))),
    });
    const error = await addLearnerAt(await followerWithLeaderAt(leader));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(kindOf(error)).toBe('invalid-argument');
    expect(error.details).toMatch(/survival goal is region/);
  });

  it('answers no-leader (retryable: nothing changed) when the leader could not be reached', async () => {
    const error = await addLearnerAt(await followerWithLeaderAt(await nothingListening()));
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
    expect(kindOf(error)).toBe('no-leader');
  });

  it('answers timeout (the change may have been made) when the leader\'s connection dropped with the call on it', async () => {
    const server = new grpc.Server();
    server.addService(loadProtos().ClusterClient.service, {
      // The leader goes away with the call in hand (it may have proposed the change).
      MemberAddLearner: () => server.forceShutdown(),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    stops.push(async () => server.forceShutdown());
    const error = await addLearnerAt(await followerWithLeaderAt(`127.0.0.1:${port}`));
    expect(kindOf(error), `${error.code} ${error.details}`).toBe('timeout');
    expect(error.details).toMatch(/may have been applied/);
  });

  it('answers timeout (the change may have been made) when the leader took the call and never answered', async () => {
    const error = await addLearnerAt(await followerWithLeaderAt(await silentListener()));
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(kindOf(error)).toBe('timeout');
    expect(error.details).toMatch(/memberAddLearner forwarded to the leader got no answer .*may have been applied/);
  });
});
