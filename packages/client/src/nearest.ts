/**
 * How far each endpoint is from this client, and which ones failed lately: serializable and
 * bounded-staleness reads and watches go to the nearest endpoint that has not failed, then on in
 * order of distance. Distances come from timing a small call (the member's own status) to every
 * configured endpoint, now and then; a failed endpoint is skipped until a probe finds it answering
 * again: when its hold runs out one probe is sent, and the endpoint stays skipped until that probe
 * answers (a failed probe doubles the hold). So a dead member costs one attempt, not one per call
 * or one per hold. The same memory keeps calls for the leader off a member that did not answer
 * (router.ts), so a leader whose region went dark is not tried again and again during a failover.
 */

export interface DistanceOptions {
  /** Time between two rounds of probes (ms). */
  readonly probeIntervalMs: number;
  /** A failed endpoint is skipped this long at first, twice as long after each further failure, up to failureHoldMsMax. */
  readonly failureHoldMsMin: number;
  readonly failureHoldMsMax: number;
  /** Times one call to `address` (its own status, say); rejects if it fails. */
  readonly probe: (address: string) => Promise<void>;
  readonly nowMs?: () => number;
}

interface EndpointState {
  /** Smoothed round-trip time (ms), undefined until measured. */
  rttMs: number | undefined;
  /** The last RECENT_SAMPLES timed round trips (ms), oldest first: the distance is their minimum. */
  recentMs: number[];
  /** Skipped until then (ms, nowMs clock). */
  avoidUntilMs: number;
  /** Failures since the last success, for the hold's doubling. */
  failures: number;
  /** A probe sent because the hold ran out is in flight: the endpoint is skipped until it settles. */
  readmissionProbe: boolean;
  /** When it last answered a call or a probe (ms, nowMs clock); -Infinity before its first answer. */
  answeredAtMs: number;
}

/** Weight of a new sample (as TCP's SRTT, RFC 6298: 1/8), the first sample taken whole. */
const SMOOTHING = 1 / 8;
/**
 * Samples the distance is the minimum of (BBR's min_rtt, in spirit): a busy client, member or
 * network only adds to a round trip, so one slow answer (a loaded machine, a GC pause) must not
 * rank a near member behind a far one for the many rounds a smoothed value takes to forget it.
 * With the default probe interval, 8 samples span 40 s: a member that really moved away is ranked
 * by its new distance within that.
 */
const RECENT_SAMPLES = 8;

export class EndpointDistances {
  private readonly endpoints = new Map<string, EndpointState>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  private readonly nowMs: () => number;

  constructor(
    addresses: readonly string[],
    private readonly options: DistanceOptions,
  ) {
    this.nowMs = options.nowMs ?? (() => performance.now());
    for (const address of addresses) {
      this.endpoints.set(address, { rttMs: undefined, recentMs: [], avoidUntilMs: Number.NEGATIVE_INFINITY, failures: 0, readmissionProbe: false, answeredAtMs: Number.NEGATIVE_INFINITY });
    }
  }

  /** Starts probing (once; later calls do nothing). The timer does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined || this.options.probeIntervalMs <= 0) return;
    // The first round opens the connections (handshakes would count as distance): timed again at once.
    void this.probeAll({ timed: false }).then(() => this.probeAll({ timed: true }));
    this.timer = setInterval(() => void this.probeAll({ timed: true }), this.options.probeIntervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether at least one endpoint was measured (before that, calls keep the usual routing). */
  get measured(): boolean {
    for (const state of this.endpoints.values()) if (state.rttMs !== undefined) return true;
    return false;
  }

  /**
   * Endpoints to try, nearest first: those not failing, by distance (the smallest of the recent
   * round trips; unmeasured after the
   * measured, `preferred` ones first among them); then the failing ones, the soonest free first.
   */
  order(preferred: (address: string) => boolean = () => false): string[] {
    const now = this.nowMs();
    const healthy: [string, EndpointState][] = [];
    const failing: [string, EndpointState][] = [];
    for (const entry of this.endpoints) (this.avoided(entry[0], entry[1], now) ? failing : healthy).push(entry);
    healthy.sort(([a, x], [b, y]) => distanceKey(x, preferred(a)) - distanceKey(y, preferred(b)) || a.localeCompare(b));
    failing.sort(([, x], [, y]) => x.avoidUntilMs - y.avoidUntilMs);
    return [...healthy, ...failing].map(([address]) => address);
  }

  rttMs(address: string): number | undefined {
    return this.endpoints.get(address)?.rttMs;
  }

  /** The distance `address` is ranked by: the smallest of its recent round trips (ms), undefined until measured. */
  distanceMs(address: string): number | undefined {
    const state = this.endpoints.get(address);
    return state === undefined ? undefined : distanceOf(state);
  }

  /** Failures of `address` since it last answered: each is one attempt that went there in vain. */
  failuresOf(address: string): number {
    return this.endpoints.get(address)?.failures ?? 0;
  }

  /** Whether calls should stay off `address` for now (an address that is not an endpoint never is). */
  isAvoided(address: string): boolean {
    const state = this.endpoints.get(address);
    return state !== undefined && this.avoided(address, state, this.nowMs());
  }

  /** Time since `address` last answered a call or a probe (ms); undefined if it never did or is no endpoint. */
  answerAgeMs(address: string): number | undefined {
    const state = this.endpoints.get(address);
    if (state === undefined || state.answeredAtMs === Number.NEGATIVE_INFINITY) return undefined;
    return this.nowMs() - state.answeredAtMs;
  }

  /**
   * Skipped while its hold lasts; once the hold ran out, a failed endpoint is probed (once) and
   * stays skipped until the probe answers. Without probes (probeIntervalMs 0), the hold alone.
   */
  private avoided(address: string, state: EndpointState, now: number): boolean {
    if (state.failures === 0) return false;
    if (state.avoidUntilMs > now) return true;
    if (this.options.probeIntervalMs <= 0) return false;
    if (!state.readmissionProbe) {
      state.readmissionProbe = true;
      void this.probeOne(address, false).finally(() => {
        state.readmissionProbe = false;
      });
    }
    return true;
  }

  /** A call to `address` failed without an answer (unreachable, timed out): skip it for a while. */
  noteFailure(address: string): void {
    const state = this.endpoints.get(address);
    if (state === undefined) return;
    state.failures += 1;
    const holdMs = Math.min(this.options.failureHoldMsMax, this.options.failureHoldMsMin * 2 ** (state.failures - 1));
    state.avoidUntilMs = this.nowMs() + holdMs;
  }

  /** `address` answered (a probe or a call): it is used again at once. */
  noteAnswer(address: string, rttMs?: number): void {
    const state = this.endpoints.get(address);
    if (state === undefined) return;
    state.failures = 0;
    state.avoidUntilMs = Number.NEGATIVE_INFINITY;
    state.answeredAtMs = this.nowMs();
    if (rttMs === undefined) return;
    state.rttMs = state.rttMs === undefined ? rttMs : state.rttMs + SMOOTHING * (rttMs - state.rttMs);
    state.recentMs.push(rttMs);
    if (state.recentMs.length > RECENT_SAMPLES) state.recentMs.shift();
  }

  private async probeAll(options: { timed: boolean }): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all([...this.endpoints.keys()].map((address) => this.probeOne(address, options.timed)));
    } finally {
      this.probing = false;
    }
  }

  private async probeOne(address: string, timed: boolean): Promise<void> {
    const startedMs = this.nowMs();
    try {
      await this.options.probe(address);
      this.noteAnswer(address, timed ? this.nowMs() - startedMs : undefined);
    } catch {
      this.noteFailure(address);
    }
  }
}

function distanceOf(state: EndpointState): number | undefined {
  return state.recentMs.length === 0 ? undefined : Math.min(...state.recentMs);
}

/** Measured endpoints by distance; unmeasured ones after every measured one, the preferred first. */
function distanceKey(state: EndpointState, preferred: boolean): number {
  const distance = distanceOf(state);
  if (distance !== undefined) return distance;
  return preferred ? 1e9 : 2e9;
}
