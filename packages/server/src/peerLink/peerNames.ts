/**
 * Resolving a peer's host name for the TCP link without holding libuv's thread pool.
 *
 * Node's dns.lookup (what net.connect uses for a name) calls getaddrinfo on the thread pool that
 * LevelDB shares (4 threads by default). While a peer's name gets no answer (a container network
 * whose DNS server is unreachable for seconds, an upstream that drops queries), each lookup holds
 * a thread for the system resolver's whole timeout (5 s per try and server), every redial adds
 * one, and the log's writes queue behind them: a member could take tens of seconds to see a
 * restarted peer's new address, and stalled its own disk meanwhile.
 *
 * So the name is resolved as the system resolver would (/etc/hosts first, then DNS with the search
 * list and ndots of /etc/resolv.conf, servers in order), but the DNS queries go through c-ares,
 * which waits on sockets in the event loop: each query waits at most DNS_QUERY_WAIT_MS, each dial
 * asks afresh, and nothing is cached, so a restarted peer is found as soon as its name answers.
 * Each server is asked through a resolver of its own, so a server that timed out once is still
 * asked first the next time (c-ares' own failover would prefer the next one, which in a container
 * network is the host's resolver, and it does not know the containers' names).
 *
 * Only when every DNS server answered that the name does not exist is the system resolver asked
 * (nsswitch may know the name elsewhere: mDNS, LDAP), one lookup per name at a time: it is
 * expected to return at once, as DNS just did.
 */
import { promises as dns } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

/** One DNS query to one server waits at most this long; then the next server, or the next dial, asks. */
export const DNS_QUERY_WAIT_MS = 500;
/** As glibc: at most this many nameservers are used (MAXNS) ... */
const NAMESERVERS_MAX = 3;
/** ...and this many search domains (MAXDNSRCH)... */
const SEARCH_DOMAINS_MAX = 6;
/** ...and ndots is capped here (RES_MAXNDOTS). */
const NDOTS_MAX = 15;
/** DNS servers asked when resolv.conf names none (glibc's default). */
const DEFAULT_NAMESERVERS = ['127.0.0.1'];

/** What resolution reads and asks: the real system (nodeNameSystem), or a twin in tests. */
export interface NameSystem {
  /** The text of /etc/hosts; undefined if it cannot be read. */
  readHosts(): Promise<string | undefined>;
  /** The text of /etc/resolv.conf; undefined if it cannot be read. */
  readResolvConf(): Promise<string | undefined>;
  /**
   * The A (4) or AAAA (6) records of `name` (taken as absolute) from DNS server `server` alone.
   * Rejects with an error whose `code` is c-ares' (ENOTFOUND, ENODATA, ETIMEOUT, ...).
   */
  query(server: string, name: string, family: 4 | 6): Promise<string[]>;
  /** The system resolver (getaddrinfo, on the thread pool): one address of `name`. */
  systemLookup(name: string): Promise<string>;
}

/** A peer's name gave no address; the dial fails and the link dials again after its backoff. */
export class PeerNameError extends Error {
  override readonly name = 'PeerNameError';
}

export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly ndots: number;
}

/** The settings of resolv.conf that name resolution uses (resolv.conf(5)); later lines win, as in glibc. */
export function parseResolvConf(text: string | undefined): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  let ndots = 1;
  for (const line of (text ?? '').split('\n')) {
    const [keyword, ...values] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined && nameservers.length < NAMESERVERS_MAX) nameservers.push(values[0]);
    else if (keyword === 'search') search = values.filter((v) => v !== '').slice(0, SEARCH_DOMAINS_MAX);
    else if (keyword === 'domain' && values[0] !== undefined) search = [values[0]];
    else if (keyword === 'options') {
      for (const option of values) {
        const match = /^ndots:(\d+)$/.exec(option);
        if (match !== null) ndots = Math.min(NDOTS_MAX, Number(match[1]));
      }
    }
  }
  return { nameservers: nameservers.length > 0 ? nameservers : DEFAULT_NAMESERVERS, search, ndots };
}

/** The first address /etc/hosts gives `name` (names compare without case), or undefined. */
export function hostsAddressOf(text: string | undefined, name: string): string | undefined {
  for (const line of (text ?? '').split('\n')) {
    const [address, ...names] = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (address === undefined || isIP(address) === 0) continue;
    if (names.some((n) => n.toLowerCase() === name)) return address;
  }
  return undefined;
}

/**
 * The names DNS is asked, in the system resolver's order: a name with a trailing dot as it is; a
 * name with at least ndots dots as it is, then with each search domain; a shorter one with each
 * search domain first (`n1` on a podman network: `n1.dns.podman`, then `n1`).
 */
export function searchCandidates(name: string, conf: ResolvConf): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((domain) => `${name}.${domain.replace(/\.$/, '')}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

/**
 * What one DNS server said about one name: an address; that the name does not exist there (the
 * next search candidate is asked); a failure said at once (refused, a server failure: the next
 * server is asked); or nothing in time (the next server is asked, and the system resolver is not,
 * since it would wait as long).
 */
type Answer = { kind: 'address'; address: string } | { kind: 'absent' } | { kind: 'failed' | 'unanswered'; problem: string };

/** Codes of a query that got no answer in time. */
const UNANSWERED_CODES = new Set(['ETIMEOUT', 'ECANCELLED', 'EDESTRUCTION']);

/** One resolution, as far as it got (the deadline's error says where it waited). */
interface Attempt {
  readonly giveUpAtMs: number;
  /** Queries that got no answer in time, as `name at server: code`. */
  readonly unanswered: string[];
  /** The query waited for now, as `name at server`. */
  asking: string | undefined;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

export class PeerNameResolver {
  /**
   * The system lookups still running, by name. Invariant: at most one per name; a dial that needs
   * one while it runs waits for it (within its own deadline) instead of starting another, so the
   * thread pool never holds more than one lookup per peer name.
   */
  private readonly systemLookups = new Map<string, Promise<string>>();

  constructor(private readonly system: NameSystem = nodeNameSystem()) {}

  /** How many system lookups are running now (one thread-pool thread each). */
  get systemLookupsRunning(): number {
    return this.systemLookups.size;
  }

  /**
   * One address to connect to for `host`: an IP literal as it is, otherwise resolved as the
   * module comment says. Rejects with PeerNameError once `waitMs` has passed without an address;
   * a query still out then finishes on its own (within DNS_QUERY_WAIT_MS) and holds no thread.
   */
  async resolve(host: string, waitMs: number): Promise<string> {
    if (isIP(host) !== 0) return host;
    const attempt: Attempt = { giveUpAtMs: performance.now() + waitMs, unanswered: [], asking: undefined };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const waiting = attempt.asking === undefined ? [] : [`${attempt.asking}: no answer yet`];
        reject(new PeerNameError(`the name ${host} gave no address within ${waitMs} ms (${[...attempt.unanswered, ...waiting].join('; ')})`));
      }, waitMs);
    });
    try {
      return await Promise.race([this.resolveName(host.toLowerCase(), attempt), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async resolveName(name: string, attempt: Attempt): Promise<string> {
    // RFC 6761: localhost names are the machine's own, whatever DNS says; /etc/hosts answers them.
    if (name === 'localhost' || name.endsWith('.localhost')) return this.lookupOnSystem(name);
    const fromHosts = hostsAddressOf(await this.system.readHosts(), name);
    if (fromHosts !== undefined) return fromHosts;
    const conf = parseResolvConf(await this.system.readResolvConf());
    const { unanswered } = attempt;
    for (const candidate of searchCandidates(name, conf)) {
      for (const server of conf.nameservers) {
        // Past the deadline the dial has failed already (resolve): no more queries for it.
        if (performance.now() >= attempt.giveUpAtMs) throw new PeerNameError(`the name ${name} gave no address in time`);
        attempt.asking = `${candidate} at ${server}`;
        const answer = await this.askServer(server, candidate);
        attempt.asking = undefined;
        if (answer.kind === 'address') return answer.address;
        if (answer.kind === 'absent') break;
        if (answer.kind === 'unanswered') unanswered.push(`${candidate} at ${server}: ${answer.problem}`);
      }
    }
    if (unanswered.length > 0) throw new PeerNameError(`DNS did not answer for the name ${name} (${unanswered.join('; ')})`);
    return this.lookupOnSystem(name);
  }

  /** The name's IPv4 address at `server`, else its IPv6 one. */
  private async askServer(server: string, name: string): Promise<Answer> {
    for (const family of [4, 6] as const) {
      try {
        const [address] = await this.system.query(server, name, family);
        if (address !== undefined) return { kind: 'address', address };
      } catch (error) {
        const code = codeOf(error);
        // No record of this family: the other one may exist.
        if (code === 'ENODATA') continue;
        if (code === 'ENOTFOUND') return { kind: 'absent' };
        return { kind: UNANSWERED_CODES.has(code) ? 'unanswered' : 'failed', problem: code };
      }
    }
    return { kind: 'absent' };
  }

  private lookupOnSystem(name: string): Promise<string> {
    const running = this.systemLookups.get(name);
    if (running !== undefined) return running;
    const lookup = this.system.systemLookup(name).finally(() => this.systemLookups.delete(name));
    this.systemLookups.set(name, lookup);
    return lookup;
  }
}

/** The real system: the files under /etc, c-ares for DNS (one resolver per server), getaddrinfo for the rest. */
export function nodeNameSystem(): NameSystem {
  const resolvers = new Map<string, dns.Resolver>();
  const resolverOf = (server: string): dns.Resolver => {
    let resolver = resolvers.get(server);
    if (resolver === undefined) {
      resolver = new dns.Resolver({ timeout: DNS_QUERY_WAIT_MS, tries: 1 });
      resolver.setServers([server]);
      // Servers come from resolv.conf (at most NAMESERVERS_MAX at a time); a changed file adds a few.
      if (resolvers.size >= 4 * NAMESERVERS_MAX) resolvers.clear();
      resolvers.set(server, resolver);
    }
    return resolver;
  };
  const readText = (path: string) => readFile(path, 'utf8').catch(() => undefined);
  return {
    readHosts: () => readText('/etc/hosts'),
    readResolvConf: () => readText('/etc/resolv.conf'),
    query: async (server, name, family) => {
      const resolver = resolverOf(server);
      return family === 4 ? resolver.resolve4(name) : resolver.resolve6(name);
    },
    systemLookup: async (name) => (await dns.lookup(name)).address,
  };
}

/** The process's resolver: peer links share its per-name bound on system lookups. */
export const peerNames = new PeerNameResolver();
