/**
 * Defaults the peer link tests share (peerNames, peerRedial, peerLink, peerInput): a dial's and a
 * transport's options for a member of cluster `c` on loopback, and handlers that record what
 * arrives, so that each test names only the fields it is about.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import type { Message } from '@holdfast/raft';
import { pino } from 'pino';
import type { DialOptions } from '../src/peerLink/dial.js';
import type { TransportHandlers, TransportOptions } from '../src/transport.js';

/** A plaintext raft-link dial from member 1 to member 2, with `overrides` on top. */
export function dialOptions(overrides: Pick<DialOptions, 'address' | 'dialWaitMs'> & Partial<DialOptions>): DialOptions {
  return { peerId: 2, selfId: 1, clusterId: 'c', applyVersion: 2, purpose: 'raft', tls: undefined, ...overrides };
}

/** A plaintext transport on the TCP link that knows no peer address, with `overrides` on top. */
export function transportOptions(overrides: Pick<TransportOptions, 'selfId' | 'handlers'> & Partial<TransportOptions>): TransportOptions {
  return {
    clusterId: 'c',
    protos: loadProtos(),
    dialCredentials: grpc.credentials.createInsecure(),
    logger: pino({ level: 'silent' }),
    peerQueueMessagesMax: 1000,
    messageBytesMax: 1024 * 1024,
    applyVersion: 2,
    addressOf: () => undefined,
    peerTransport: 'tcp',
    ...overrides,
  };
}

export type DeliveryRecording = TransportHandlers & { delivered: Message[]; reachable: boolean[] };

/** Handlers that keep the messages delivered and each reachability change the link reports. */
export function deliveryRecording(): DeliveryRecording {
  const delivered: Message[] = [];
  const reachable: boolean[] = [];
  return {
    delivered,
    reachable,
    deliver: (messages) => {
      delivered.push(...messages);
      return true;
    },
    reportUnreachable: () => {},
    peerReachable: (_, now) => {
      reachable.push(now);
    },
    reportSnapshot: () => {},
    readSnapshot: async function* () {},
    receiveSnapshot: async () => {},
  };
}
