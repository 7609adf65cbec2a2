/**
 * Opening a TCP peer link: resolve the peer's name (peerNames.ts: never on the thread pool while
 * DNS does not answer), connect, exchange the greeting (frames.ts), start TLS over the same
 * socket when the cluster runs TLS (the peer's certificate must name the member dialled), and
 * send the hello. A peer that answers the greeting with anything else speaks only gRPC (a member
 * of an earlier release): NotALinkPeerError, and the sender falls back to gRPC (transport.ts).
 */
import { isIP } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { NodeId } from '@holdfast/raft';
import { checkMemberIdentity, type TlsMaterial } from '../tls.js';
import { encodeValueFrame, FrameKind, type Hello, LINK_GREETING, LINK_GREETING_REPLY, LINK_VERSION, type LinkPurpose, type ReadTerms } from './frames.js';
import { type PeerNameResolver, peerNames } from './peerNames.js';

export type LinkSocket = net.Socket | tls.TLSSocket;

/** The peer answered the greeting, but not as a link listener does: it speaks only gRPC. */
export class NotALinkPeerError extends Error {
  override readonly name = 'NotALinkPeerError';
}

export interface DialOptions {
  readonly address: string;
  readonly peerId: NodeId;
  readonly selfId: NodeId;
  readonly clusterId: string;
  readonly applyVersion: number;
  /** Sent in the hello (frames.ts ReadTerms); absent: none sent. */
  readonly readTerms?: ReadTerms;
  readonly purpose: LinkPurpose;
  /** The cluster's TLS material as it is now (a reload takes effect at the next dial); undefined: plaintext. */
  readonly tls: TlsMaterial | undefined;
  /** Name resolution, connect, greeting and TLS together must finish this soon, or the dial fails. */
  readonly dialWaitMs: number;
  /** Resolves the address's host name; default: the process's (peerNames.ts). */
  readonly names?: PeerNameResolver;
  /** The peer's certificate did not name the member dialled (logged by the caller). */
  readonly identityRefused?: (problem: string) => void;
}

/** Splits `host:port` (`[v6]:port` too). */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}

/** A socket past greeting, TLS and hello, ready for frames. Rejects on any failure (and closes the socket). */
export async function dialLink(options: DialOptions): Promise<LinkSocket> {
  const { host, port } = splitAddress(options.address);
  const startedMs = performance.now();
  // The name is resolved afresh on every dial: a peer that restarted at a new address is found as
  // soon as its name says so. TLS below still checks the certificate against the name.
  const ip = await (options.names ?? peerNames).resolve(host, options.dialWaitMs);
  const leftMs = Math.max(1, options.dialWaitMs - (performance.now() - startedMs));
  const raw = net.connect({ host: ip, port });
  raw.setNoDelay(true);
  const timer = setTimeout(() => raw.destroy(new Error(`no link to ${options.address} within ${options.dialWaitMs} ms`)), leftMs);
  try {
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', reject);
    });
    raw.write(LINK_GREETING);
    const answer = await readBytes(raw, LINK_GREETING_REPLY.byteLength);
    if (!answer.equals(LINK_GREETING_REPLY)) throw new NotALinkPeerError(`the peer at ${options.address} does not speak the TCP link (an earlier release?)`);
    const socket = options.tls === undefined ? raw : await startTls(raw, host, options);
    const hello: Hello = {
      version: LINK_VERSION,
      clusterId: options.clusterId,
      from: options.selfId,
      to: options.peerId,
      purpose: options.purpose,
      applyVersion: options.applyVersion,
      ...(options.readTerms === undefined ? {} : { readTerms: options.readTerms }),
    };
    socket.write(encodeValueFrame(FrameKind.hello, hello));
    return socket;
  } catch (error) {
    raw.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function startTls(raw: net.Socket, host: string, options: DialOptions): Promise<tls.TLSSocket> {
  const material = options.tls?.reloadable?.material ?? options.tls;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      socket: raw,
      ca: material?.ca,
      cert: material?.cert,
      key: material?.key,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      checkServerIdentity: (_name, certificate) => {
        const problem = checkMemberIdentity(host, certificate, options.peerId);
        if (problem !== undefined) options.identityRefused?.(problem.message);
        return problem;
      },
    });
    socket.setNoDelay(true);
    // The dial's deadline destroys the raw socket, which may close this one without an error.
    const closed = (): void => reject(new Error('the connection closed during the TLS handshake'));
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.off('close', closed);
      resolve(socket);
    });
    socket.once('error', reject);
    socket.once('close', closed);
  });
}

/** Exactly `count` bytes from `socket`, leaving what follows them unread; rejects if it ends or fails first. */
export function readBytes(socket: net.Socket, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tryRead = (): void => {
      const bytes = socket.read(count) as Buffer | null;
      if (bytes === null) return;
      cleanup();
      resolve(bytes);
    };
    const ended = (): void => {
      cleanup();
      // Fewer bytes than asked for, then the end: compare what came (a shorter answer is no greeting).
      const rest = socket.read() as Buffer | null;
      if (rest !== null && rest.byteLength > 0) reject(new NotALinkPeerError('the peer answered the greeting with something else and closed'));
      else reject(new Error('the peer closed the connection during the greeting'));
    };
    const failed = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      socket.off('readable', tryRead);
      socket.off('end', ended);
      socket.off('error', failed);
      socket.off('close', ended);
    };
    socket.on('readable', tryRead);
    socket.once('end', ended);
    socket.once('close', ended);
    socket.once('error', failed);
    tryRead();
  });
}
