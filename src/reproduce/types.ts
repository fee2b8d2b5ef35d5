/**
 * `deepvis reproduce PAPER`: each source paper (seed 000–004, docs/references.md) is a module that runs its
 * experiments at a size that fits 2 cores and returns its figures (next to the paper's captions)
 * and its numeric claims (the paper's value, ours, a verdict). Every number in a claim row comes
 * from the run: a paper module never types a result in. page.ts turns a result into an atlas page.
 */
import type { EngineInfo } from '../engine/backend.js';

export type PaperId = '000' | '001' | '002' | '003' | '004';
export type Verdict = 'reproduced' | 'differs' | 'not applicable';

export interface Claim {
  /** Where the paper makes it: '§6.2', 'fig. 2'. */
  readonly section: string;
  /** The claim in plain words. */
  readonly claim: string;
  /** The paper's value as the paper states it ('≈12% → 20%'). */
  readonly paper: string;
  /** Ours, formatted from the run's numbers. */
  readonly ours: string;
  readonly verdict: Verdict;
  /** How it differs, or why it does not apply; for 'reproduced', the test applied. */
  readonly why: string;
  /** The raw numbers behind `ours` (into the JSON). */
  readonly values?: Readonly<Record<string, number | readonly number[]>>;
}

export interface PaperFigure {
  /** The paper's figure number or name: 'fig. 1 (right)'. */
  readonly figure: string;
  /** The paper's caption, quoted or closely paraphrased. */
  readonly paperCaption: string;
  /** What our picture shows and how it was made (settings, model, size). */
  readonly ours: string;
  /** PNG path relative to the paper's output folder. */
  readonly src: string;
  readonly numbers?: Readonly<Record<string, string | number>>;
}

export interface PaperResult {
  readonly paper: PaperId;
  readonly title: string;
  /** The experiment's size against the paper's ('8,000 MNIST training digits, not 60,000'). */
  readonly size: readonly string[];
  readonly figures: readonly PaperFigure[];
  readonly claims: readonly Claim[];
  readonly seconds: number;
}

export interface ReproduceContext {
  readonly engine: EngineInfo;
  /** Absolute folder this paper writes its PNGs into (created; relative `src` paths resolve here). */
  readonly dir: string;
  /** Smaller runs for tests: fewer digits, epochs and steps; the page says so. */
  readonly quick: boolean;
  readonly seed: number;
  /** A user-supplied model for papers whose own model cannot ship (003: VGG16, 004: CaffeNet). */
  readonly model?: string;
  readonly log: (line: string) => void;
}

export interface Paper {
  readonly id: PaperId;
  readonly title: string;
  run(ctx: ReproduceContext): Promise<PaperResult>;
}

/** A verdict from a number and the paper's range: the one rule claim rows use unless they say otherwise. */
export function withinVerdict(ours: number, lo: number, hi: number): Verdict {
  return Number.isFinite(ours) && ours >= lo && ours <= hi ? 'reproduced' : 'differs';
}
