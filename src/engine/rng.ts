/**
 * Seeded random numbers (mulberry32): every random choice in deepvis — splits, inits, jitter —
 * takes an Rng so that a run is reproducible from its seed. No global state.
 */
export class Rng {
  private state: number;

  constructor(seed = 0) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }

  /** Where the stream is, for `restore`. */
  save(): number {
    return this.state;
  }

  /** Back to a place `save` gave: the draws from there repeat. */
  restore(state: number): void {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A seed for tfjs random ops, drawn from this stream. */
  seed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}

/**
 * For a transform called once per optimization step, and a second time for the same step when a
 * pass ran ahead of the tape (optimize/drive.ts's Ahead): call it with the step before drawing. A
 * step's second call rewinds the stream to where its first began, so both draw the same; a new
 * step (or none given) draws on.
 */
export function rewindPerStep(rng: Rng): (step: number | undefined) => void {
  let at: { step: number; state: number } | null = null;
  return (step) => {
    if (step === undefined) return;
    if (at?.step === step) rng.restore(at.state);
    else at = { step, state: rng.save() };
  };
}
