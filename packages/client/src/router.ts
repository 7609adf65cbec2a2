import type { Member } from './members.js';
import type { StatusResponse__Output } from '@holdfast/protocol';

export interface RouterOptions {
  endpoints: readonly string[];
  /** Advertised client address → address to dial, or undefined to not dial it. */
  resolveAddress: (advertised: string) => string | undefined;
  /** Asks one endpoint for its own status (Status with localOnly). */
  askOwnStatus: (endpoint: string, deadlineMs: number) => Promise<StatusResponse__Output>;
  discoveryIntervalMs: number;
  discoveryTimeoutMs: number;
  /**
   * Whether an address gave no answer lately and is not yet known to answer again (nearest.ts):
   * calls for the leader go elsewhere meanwhile, even when a hint or a status names it.
   */
  isAvoided?: (address: string) => boolean;
  /** Time since the member at `address` last answered a call or a probe (ms), undefined if never (nearest.ts). */
  answerAgeMs?: (address: string) => number | undefined;
}

/**
 * A member that answered within this long (and since the leader was lost) counts as alive for
 * the retries after a NO_LEADER answer: such members learn the next leader, while one not heard
 * from lately may sit behind the fault that took the leader and would cost an attempt timeout.
 */
export const RECENT_ANSWER_MS = 3000;

/**
 * Decides where the next attempt goes: the leader when known, else the configured endpoints in
 * turn. The leader is learned from NOT_LEADER hints, from which member answered a write (followers
 * forward writes, answered with the leader's header), from status() and member lists, and from a
 * background discovery that asks every configured endpoint for its own view.
 *
 * Invariant: `preferred` is always a configured endpoint or an address `resolveAddress` allowed.
 */
export class Router {
  readonly endpoints: readonly string[];
  private readonly options: RouterOptions;
  /** The leader's address when known. */
  private leaderAddress: string | undefined;
  /** Next configured endpoint to try when the leader is unknown. */
  private endpointIndex = 0;
  /** Dialable client address by member id. */
  private readonly memberAddresses = new Map<number, string>();
  /** Region label by member id (from member lists and each endpoint's own status). */
  private readonly memberRegions = new Map<number, string>();
  /** When the known leader last failed a call (ms, Date.now clock), -Infinity if it never did. */
  private leaderLostAtMs = Number.NEGATIVE_INFINITY;
  /**
   * The region of the last leader that failed a call without a verdict (a timeout, a refused
   * connection), '' when unknown or none. Such a failure may be the whole region going dark, so its
   * other members are tried after the members elsewhere, until one of them answers again: a
   * client does not spend a second attempt timeout behind the same fault.
   */
  private lostLeaderRegion = '';
  /**
   * NO_LEADER answers in a row spent among recently answering members. Once it reaches their
   * number (each was tried again), the next attempt goes to a member not heard from lately, so a
   * client whose live members are all on a minority side still reaches the others.
   * Invariant: 0 <= noLeaderRetries.
   */
  private noLeaderRetries = 0;
  private discovery: Promise<void> | undefined;
  private discoveryAtMs = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(options: RouterOptions) {
    this.options = options;
    this.endpoints = options.endpoints;
  }

  /**
   * The leader when known and not avoided; else the next configured endpoint, from the current
   * one on, that is not avoided (a follower forwards a write to the leader, or names it). When
   * every endpoint is avoided, the current one.
   */
  get preferred(): string {
    if (this.leaderAddress !== undefined && !this.avoided(this.leaderAddress)) return this.leaderAddress;
    for (let step = 0; step < this.endpoints.length; step += 1) {
      const endpoint = this.endpoints[(this.endpointIndex + step) % this.endpoints.length] as string;
      if (!this.avoided(endpoint)) return endpoint;
    }
    return this.leaderAddress ?? (this.endpoints[this.endpointIndex] as string);
  }

  private avoided(address: string): boolean {
    return this.options.isAvoided?.(address) ?? false;
  }

  /** The configured endpoints (members the client can fall back on). */
  get endpointCount(): number {
    return this.endpoints.length;
  }

  get knowsLeader(): boolean {
    return this.leaderAddress !== undefined;
  }

  /** The address a NOT_LEADER hint names, when it may be dialled. */
  resolveHint(hint: string | undefined): string | undefined {
    return hint === undefined ? undefined : this.options.resolveAddress(hint);
  }

  /**
   * True when the hint names a dialable leader other than the one already tried, and one that
   * answered since it last failed: during a failover the followers still name the dead leader
   * until they elect another, and following them back there would cost an attempt timeout.
   */
  isNewLeaderHint(hint: string | undefined): boolean {
    const address = this.resolveHint(hint);
    return address !== undefined && address !== this.leaderAddress && !this.avoided(address);
  }

  followHint(hint: string | undefined): void {
    const address = this.resolveHint(hint);
    if (address !== undefined) this.leaderAddress = address;
  }

  /**
   * `address` failed without a verdict, or has no leader: try elsewhere next. After a NO_LEADER
   * answer (`noLeader`), the next attempts go to members that answered recently (see
   * RECENT_ANSWER_MS), `address` included, before any member not heard from lately.
   */
  moveAwayFrom(address: string, hint: string | undefined, options: { noLeader?: boolean } = {}): void {
    if (this.leaderAddress === address) {
      this.leaderAddress = undefined;
      this.leaderLostAtMs = Date.now();
      this.lostLeaderRegion = options.noLeader === true ? '' : (this.regionOfAddress(address) ?? '');
    }
    const hinted = this.resolveHint(hint);
    if (hinted !== undefined && hinted !== address && !this.avoided(hinted)) {
      // The hint was already followed once; after a backoff it is still the best guess.
      this.leaderAddress = hinted;
      return;
    }
    const index = this.endpoints.indexOf(address);
    this.endpointIndex = this.nextEndpointIndex(index, options.noLeader === true);
    this.maybeDiscoverLeader();
  }

  /**
   * The endpoint after `index` to try next, skipping avoided ones and, while others remain, the
   * members that may sit behind the fault that took the leader (see lostLeaderRegion). After a
   * NO_LEADER answer, the next recently answering one (wrapping round to `index` itself) until
   * each was tried again, then the next one not heard from lately. When none fits, simply the next.
   */
  private nextEndpointIndex(index: number, noLeader: boolean): number {
    const count = this.endpoints.length;
    const plainNext = (index + 1) % count;
    let fits: (endpoint: string) => boolean = () => true;
    if (noLeader) {
      const recent = this.endpoints.filter((endpoint) => this.answeredRecently(endpoint));
      const wantRecent = this.noLeaderRetries < recent.length;
      this.noLeaderRetries = wantRecent ? this.noLeaderRetries + 1 : 0;
      fits = (endpoint) => this.answeredRecently(endpoint) === wantRecent;
    } else {
      this.noLeaderRetries = 0;
    }
    const wanted = (endpoint: string) => !this.avoided(endpoint) && fits(endpoint);
    return (
      this.nextIndexWhere(index, (endpoint) => wanted(endpoint) && !this.behindLeaderFault(endpoint)) ??
      this.nextIndexWhere(index, wanted) ??
      plainNext
    );
  }

  /** The first index after `index` (wrapping round to `index` itself) whose endpoint passes `test`. */
  private nextIndexWhere(index: number, test: (endpoint: string) => boolean): number | undefined {
    const count = this.endpoints.length;
    for (let step = 1; step <= count; step += 1) {
      const candidate = (index + step) % count;
      if (test(this.endpoints[candidate] as string)) return candidate;
    }
    return undefined;
  }

  /** In the region of the leader that failed without a verdict, and not heard from since it failed. */
  private behindLeaderFault(address: string): boolean {
    if (this.lostLeaderRegion === '' || this.regionOfAddress(address) !== this.lostLeaderRegion) return false;
    const ageMs = this.options.answerAgeMs?.(address);
    return ageMs === undefined || ageMs > Date.now() - this.leaderLostAtMs;
  }

  /** Answered within RECENT_ANSWER_MS, and after the last known leader failed. */
  private answeredRecently(address: string): boolean {
    const ageMs = this.options.answerAgeMs?.(address);
    if (ageMs === undefined || ageMs > RECENT_ANSWER_MS) return false;
    return ageMs <= Date.now() - this.leaderLostAtMs;
  }

  forgetLeader(): void {
    this.leaderAddress = undefined;
  }

  /** A write succeeded and was applied by `memberId`: the leader at that moment. */
  noteWriteAnsweredBy(memberId: number): void {
    if (memberId === 0) return;
    const address = this.memberAddresses.get(memberId);
    if (address !== undefined) this.leaderAddress = address;
    else this.maybeDiscoverLeader();
  }

  learnMembers(members: readonly Member[]): void {
    for (const member of members) {
      const address = member.clientAddress === '' ? undefined : this.options.resolveAddress(member.clientAddress);
      if (address !== undefined) this.memberAddresses.set(member.id, address);
      this.memberRegions.set(member.id, member.region);
    }
  }

  /**
   * A dialable member of `region` (the lowest id, so every call picks the same one), or undefined
   * while none is known: then a discovery is started, at most once per discoveryIntervalMs.
   */
  addressInRegion(region: string): string | undefined {
    const ids = [...this.memberRegions].filter(([, label]) => label === region).map(([id]) => id).sort((a, b) => a - b);
    for (const id of ids) {
      const address = this.memberAddresses.get(id);
      if (address !== undefined) return address;
    }
    this.maybeDiscoverLeader();
    return undefined;
  }

  /** The region of the member known to answer at `address`, if known. */
  regionOfAddress(address: string): string | undefined {
    for (const [id, known] of this.memberAddresses) if (known === address) return this.memberRegions.get(id);
    return undefined;
  }

  learnLeader(leaderId: number): void {
    const address = leaderId === 0 ? undefined : this.memberAddresses.get(leaderId);
    if (address !== undefined) this.leaderAddress = address;
  }

  /**
   * In the background, at most once per discoveryIntervalMs: asks every configured endpoint for
   * its own status, which says which member answers there and whom it follows. Only configured
   * endpoints are asked, so proxies in front of the nodes stay in the path.
   */
  maybeDiscoverLeader(): void {
    if (this.discovery !== undefined || this.stopped) return;
    if (Date.now() - this.discoveryAtMs < this.options.discoveryIntervalMs) return;
    this.discoveryAtMs = Date.now();
    this.discovery = this.discoverLeader()
      .catch(() => {
        // Discovery is an optimisation; calls reach the leader without it, one hop slower.
      })
      .finally(() => {
        this.discovery = undefined;
      });
  }

  stop(): void {
    this.stopped = true;
  }

  private async discoverLeader(): Promise<void> {
    const deadlineMs = Date.now() + this.options.discoveryTimeoutMs;
    const answers = await Promise.allSettled(
      this.endpoints.map(async (endpoint) => ({ endpoint, status: await this.options.askOwnStatus(endpoint, deadlineMs) })),
    );
    if (this.stopped) return;
    // The view from the highest term wins: an older term may name a deposed leader.
    let leader = { id: 0, term: -1 };
    for (const answer of answers) {
      if (answer.status !== 'fulfilled') continue;
      const { endpoint, status } = answer.value;
      const own = status.members[0];
      if (own?.member) {
        this.memberAddresses.set(own.member.id, endpoint);
        this.memberRegions.set(own.member.id, own.member.region);
      }
      const term = own?.term ?? status.header?.term ?? 0;
      if (status.leaderId !== 0 && term > leader.term) leader = { id: status.leaderId, term };
    }
    this.learnLeader(leader.id);
  }
}
