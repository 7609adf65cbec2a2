/**
 * The record of a run: every event is hashed into a running digest (so two runs can be compared
 * cheaply: same seed ⇒ same digest) and its description kept in a ring buffer, so that a failure
 * can print what led up to it.
 */
export class EventLog {
  private readonly ring: string[];
  private nextSlot = 0;
  private recorded = 0;
  // Two independent 32-bit FNV-1a style lanes make a 64-bit digest.
  private hashA = 0x811c9dc5;
  private hashB = 0x01000193;

  constructor(private readonly ringSize: number) {
    if (!Number.isInteger(ringSize) || ringSize < 1) {
      throw new RangeError(`ringSize must be a positive integer, got ${ringSize}`);
    }
    this.ring = new Array<string>(ringSize);
  }

  record(time: number, description: string): void {
    const line = `t=${time} ${description}`;
    this.ring[this.nextSlot] = line;
    this.nextSlot = (this.nextSlot + 1) % this.ringSize;
    this.recorded++;
    let a = this.hashA;
    let b = this.hashB;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    // A separator, so that "ab"+"c" and "a"+"bc" hash differently.
    this.hashA = Math.imul(a ^ 0x0a, 0x01000193);
    this.hashB = Math.imul(b ^ 0x0a, 0x5bd1e995) ^ (b >>> 15);
  }

  /** The last events, oldest first. */
  recent(): string[] {
    const count = Math.min(this.recorded, this.ringSize);
    const out: string[] = [];
    for (let i = count; i > 0; i--) {
      const slot = (this.nextSlot - i + this.ringSize) % this.ringSize;
      out.push(this.ring[slot] as string);
    }
    return out;
  }

  get count(): number {
    return this.recorded;
  }

  digest(): string {
    return (this.hashA >>> 0).toString(16).padStart(8, '0') + (this.hashB >>> 0).toString(16).padStart(8, '0');
  }
}
