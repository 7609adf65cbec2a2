/**
 * TLS for both of a node's listeners and for every connection it opens to another member.
 *
 * One identity per node: its certificate (with the names or addresses others dial it by) and
 * key, and the CA that signs every member's certificate. The peer listener always asks for a
 * client certificate signed by that CA, so only members talk Raft to each other; the client
 * listener asks for one only with --tls-client-auth. When a node dials another member (Raft
 * stream, snapshots, forwarding a request to the leader, asking for a member's status) it shows
 * its own certificate, so forwarding works with client authentication on.
 *
 * Peer identity: a member's certificate names its member id in a URI SAN,
 * `holdfast://member/<id>` (MEMBER_URI_PREFIX). The peer port refuses a call whose certificate
 * names no member (a client's certificate) and every batch whose sender is not the member the
 * certificate names (transport.ts); a member dialling a peer checks that the peer's certificate
 * names the member it meant to reach.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from './config-error.js';

export interface TlsMaterial {
  /** PEM: the CA that signs the members' (and, with clientAuth, the clients') certificates. */
  readonly ca: Buffer;
  /** PEM: this node's certificate chain and private key. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The client listener requires a client certificate signed by `ca`. */
  readonly clientAuth: boolean;
  /** The files it was read from, to read again (reload). */
  readonly files?: TlsFileSettings;
  /** While the node runs: the files' current contents, pushed to every listener and channel on a reload. */
  readonly reloadable?: ReloadableTls;
}

export interface TlsFileSettings {
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsCaFile: string;
  readonly tlsClientAuth: boolean;
}

const CERTIFICATE = { marker: /-----BEGIN CERTIFICATE-----/, name: 'certificate' };
const PRIVATE_KEY = { marker: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, name: 'private key' };

function readPem(setting: string, path: string, what: { marker: RegExp; name: string }): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ConfigError(setting, `cannot read ${path}: ${(error as Error).message}`);
  }
  if (!what.marker.test(bytes.toString('latin1'))) throw new ConfigError(setting, `${path} holds no PEM ${what.name}`);
  return bytes;
}

/** Reads the files at start, so a missing or wrong one is refused naming its setting. undefined: TLS off. */
export function loadTls(settings: TlsFileSettings): TlsMaterial | undefined {
  const given = [settings.tlsCertFile, settings.tlsKeyFile, settings.tlsCaFile].filter((file) => file !== '').length;
  if (given === 0) {
    if (settings.tlsClientAuth) throw new ConfigError('tlsClientAuth', 'needs --tls-cert-file, --tls-key-file and --tls-ca-file');
    return undefined;
  }
  if (settings.tlsCertFile === '') throw new ConfigError('tlsCertFile', 'TLS needs this node\'s certificate (with --tls-key-file and --tls-ca-file)');
  if (settings.tlsKeyFile === '') throw new ConfigError('tlsKeyFile', 'TLS needs the key of --tls-cert-file');
  if (settings.tlsCaFile === '') throw new ConfigError('tlsCaFile', 'TLS needs the CA that signs every member\'s certificate');
  return {
    cert: readPem('tlsCertFile', settings.tlsCertFile, CERTIFICATE),
    key: readPem('tlsKeyFile', settings.tlsKeyFile, PRIVATE_KEY),
    ca: readPem('tlsCaFile', settings.tlsCaFile, CERTIFICATE),
    clientAuth: settings.tlsClientAuth,
    files: settings,
  };
}

/** Credentials of a listener; `requireClientCert` for the peer listener always. */
export function serverCredentials(tls: TlsMaterial | undefined, options: { requireClientCert: boolean }): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const reloadable = tls.reloadable;
  if (reloadable !== undefined) return grpc.experimental.createCertificateProviderServerCredentials(reloadable, reloadable, options.requireClientCert);
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], options.requireClientCert);
}

/** Credentials a node dials other members with: it trusts the cluster CA and shows its own certificate. */
export function dialCredentials(tls: TlsMaterial | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  if (tls.reloadable !== undefined) return grpc.experimental.createCertificateProviderChannelCredentials(tls.reloadable, tls.reloadable);
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert);
}

/** The URI SAN prefix that names a member in its certificate: `holdfast://member/<id>`. */
export const MEMBER_URI_PREFIX = 'holdfast://member/';

/** The member ids a certificate names (URI SANs `holdfast://member/<id>`); empty for a client's. */
export function memberIdsOfCertificate(certificate: Pick<PeerCertificate, 'subjectaltname'> | undefined): number[] {
  const names = certificate?.subjectaltname ?? '';
  const ids: number[] = [];
  for (const name of names.split(', ')) {
    if (!name.startsWith(`URI:${MEMBER_URI_PREFIX}`)) continue;
    const text = name.slice(`URI:${MEMBER_URI_PREFIX}`.length);
    const id = Number(text);
    if (/^[1-9][0-9]*$/.test(text) && Number.isSafeInteger(id)) ids.push(id);
  }
  return ids;
}

/**
 * Credentials to dial member `peerId`'s peer port: as dialCredentials, and the certificate the
 * peer shows must name that member (besides the address, checked as usual).
 */
export function memberDialCredentials(tls: TlsMaterial | undefined, peerId: number, onRefused?: (problem: string) => void): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  const verify = {
    checkServerIdentity: (host: string, certificate: PeerCertificate) => {
      const problem = checkMemberIdentity(host, certificate, peerId);
      if (problem !== undefined) onRefused?.(problem.message);
      return problem;
    },
  };
  if (tls.reloadable !== undefined) return grpc.experimental.createCertificateProviderChannelCredentials(tls.reloadable, tls.reloadable, verify);
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, verify);
}

export function checkMemberIdentity(host: string, certificate: PeerCertificate, peerId: number): Error | undefined {
  const addressProblem = checkServerIdentity(host, certificate);
  if (addressProblem !== undefined) return addressProblem;
  const named = memberIdsOfCertificate(certificate);
  if (named.includes(peerId)) return undefined;
  return new Error(`the peer at ${host} shows a certificate for ${named.length === 0 ? 'no member' : `member ${named.join(', ')}`}, not member ${peerId}`);
}

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/**
 * The node's TLS files as they are now: a certificate provider for grpc-js (both listeners and
 * every channel the node dials take the newest material for each new connection; connections
 * already open keep theirs), read again on `reload()` (a file change, SIGHUP). A reload whose
 * files are unreadable, hold no PEM, or whose key does not match the certificate changes
 * nothing: the material in use stays, and the caller logs why.
 */
export class ReloadableTls implements grpc.experimental.CertificateProvider {
  private materialNow: TlsMaterial;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(initial: TlsMaterial) {
    this.materialNow = initial;
  }

  get material(): TlsMaterial {
    return this.materialNow;
  }

  /** Reads the files again; true when they changed. Throws ConfigError (nothing changed) when they are unusable. */
  reload(): boolean {
    const files = this.materialNow.files;
    if (files === undefined) return false;
    const read = loadTls(files);
    if (read === undefined) return false;
    checkKeyMatches(files.tlsCertFile, read);
    const now = this.materialNow;
    if (read.ca.equals(now.ca) && read.cert.equals(now.cert) && read.key.equals(now.key)) return false;
    this.materialNow = { ...read, reloadable: this };
    for (const listener of this.caListeners) listener({ caCertificate: read.ca });
    for (const listener of this.identityListeners) listener({ certificate: read.cert, privateKey: read.key });
    return true;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    // Told after the caller has finished registering: grpc-js's server credentials add their
    // own watcher only after adding the listener, and would miss an update made at once.
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.materialNow.ca });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener({ certificate: this.materialNow.cert, privateKey: this.materialNow.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/** A certificate and a key written one after the other are briefly a mismatched pair: refused. */
function checkKeyMatches(certFile: string, material: TlsMaterial): void {
  let matches = false;
  try {
    matches = new X509Certificate(material.cert).checkPrivateKey(createPrivateKey(material.key));
  } catch (error) {
    throw new ConfigError('tlsCertFile', `${certFile} or its key does not parse: ${(error as Error).message}`);
  }
  if (!matches) throw new ConfigError('tlsKeyFile', `the key does not match the certificate in ${certFile}`);
}
