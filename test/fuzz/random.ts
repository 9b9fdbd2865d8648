// A small seeded PRNG (mulberry32) and the choices the protocol fuzzers build their inputs from.

/** Every fuzz run uses this seed unless POSTERN_FUZZ_SEED says otherwise, so a failure reproduces. */
export const FUZZ_SEED = Number(process.env.POSTERN_FUZZ_SEED ?? 0x5eed_2026);

/** Deterministic pseudo-random choices from one 32-bit seed. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(choices: readonly T[]): T {
    return choices[Math.floor(this.next() * choices.length)]!;
  }

  /** `count` values from `make`, joined. */
  repeat(count: number, make: () => string, separator = ' '): string {
    return Array.from({ length: count }, make).join(separator);
  }

  /** Bytes a parser may trip on: controls, NUL, bare CR and LF, 8-bit, quotes, brackets, wildcards. */
  oddByte(): string {
    return this.pick(['\0', '\r', '\n', '\t', '\x7f', '\x1b', '\xff', '\xc3\xa9', '"', '\\', '(', ')', '{', '}', '[', ']', '<', '>', '%', '*', ' ', ':', ',', '+']);
  }

  /** A short word of printable characters, sometimes with an odd byte in it. */
  word(max = 12): string {
    let out = '';
    const length = this.int(0, max);
    for (let i = 0; i < length; i++) out += this.chance(0.1) ? this.oddByte() : String.fromCharCode(this.int(0x21, 0x7e));
    return out;
  }

  /** A number a parser may overflow on. */
  number(): string {
    return this.pick(['0', '1', '-1', '4294967295', '4294967296', '18446744073709551616', '99999999999999999999999', '1e9', 'NaN', '0x10', '']);
  }
}
