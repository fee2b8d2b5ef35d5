/** What an op implementation sees at load (its node, its inputs' values) and what it gives back. */
import type * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../../../errors.js';
import type { AttrValue, HostTensor, OnnxNode } from './decode.js';
import type { Layout, RtMeta, Value } from './layout.js';
import { ready, type Weight, type WeightStore } from './weights.js';

export interface Compiled {
  /**
   * Runtime inputs in node-input order; inputs known at load appear as null (the op kept them).
   * `batch` is the run's batch size, for ops whose shape input depends on it (a class token
   * expanded to the batch). An op with several outputs returns one tensor per output.
   */
  run(inputs: readonly (tf.Tensor | null)[], batch: number): tf.Tensor | tf.Tensor[];
  readonly layout: Layout;
  readonly chw?: readonly [number, number, number];
  /** For taps: the logical activation function this node applies ('relu', …), so `:pre` reads its input. */
  readonly activation?: string;
  /** The node's parameters in tfjs layouts (kernel HWIO or [in, out], then bias), for weightsOf. */
  readonly weights?: readonly Weight[];
  /** Frees what the op made for itself after load (a cache); kept constants go with the model. */
  dispose?(): void;
}

export type OpCompiler = (ctx: OpCtx) => Compiled;

/**
 * Folded ints for a run at `batch`: an entry derived from the batch size (marked by a folded Shape
 * chain; values were computed at batch 1) is taken to scale with it, as B·k does.
 */
export function atBatch(
  v: readonly number[],
  marks: readonly boolean[] | undefined,
  batch: number,
): number[] {
  return marks ? v.map((d, k) => (marks[k] ? d * batch : d)) : [...v];
}

export class OpCtx {
  readonly kept: tf.Tensor[] = [];
  constructor(
    readonly node: OnnxNode,
    readonly opset: number,
    private values: readonly (Value | undefined)[],
    readonly source: string,
    /** Constant folding: every input is a constant and also reads as a plain computed tensor. */
    readonly folding = false,
    /** Where weights that can wait for their first use are made (none: all are made now). */
    private readonly store: WeightStore | null = null,
  ) {}

  /**
   * Forgets the inputs once the op is compiled: run closures keep this context (for attributes),
   * and its values hold every initializer's host copy — the weights would stay in memory twice.
   */
  release(): void {
    this.values = [];
  }

  /** The reshape target's batch marks (a folded Shape chain), for input i. */
  batchMarks(i: number): readonly boolean[] | undefined {
    const v = this.values[i];
    return v?.kind === 'host' ? v.batch : undefined;
  }

  /** Whether input i is a constant some of whose entries derive from the batch size. */
  batchDependent(i: number): boolean {
    return Boolean(this.batchMarks(i)?.some(Boolean));
  }

  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T extends AttrValue>(name: string, fallback: T): T;
  attr(name: string, fallback: AttrValue): AttrValue {
    return this.node.attrs.get(name) ?? fallback;
  }

  host(i: number): HostTensor | undefined {
    const v = this.values[i];
    return v?.kind === 'host' ? v.t : undefined;
  }

  hostInts(i: number): number[] | undefined {
    const t = this.host(i);
    return t ? Array.from(t.data, Number) : undefined;
  }

  meta(i: number): RtMeta | undefined {
    const v = this.values[i];
    if (v?.kind === 'host' && this.folding)
      return { layout: 'plain', logical: v.t.dims, batched: v.t.dims.map(() => false) };
    return v?.kind === 'rt' ? v.meta : undefined;
  }

  /** The logical shape of input i, whether known at load or at run time. */
  shape(i: number): readonly number[] {
    const v = this.values[i];
    if (!v) this.fail(`input ${i} is missing`);
    return v.kind === 'host' ? v.t.dims : v.meta.logical;
  }

  /** A constant the op keeps for the model's life (disposed with it). */
  keep<T extends tf.Tensor>(t: T): T {
    this.kept.push(t);
    return t;
  }

  /**
   * The weight `build` makes from input i's values, of shape `shape`: made on first use when input
   * i is an initializer the model's file can give again, else now. `build` must not keep its
   * argument (a closure over it would hold the host values for the model's life).
   */
  weight<T extends tf.Tensor>(
    i: number,
    shape: readonly number[],
    build: (h: HostTensor) => T,
  ): Weight<T> {
    const h = this.host(i) ?? this.fail(`input ${i} must be a constant`);
    const name = this.node.inputs[i];
    return this.store?.canWait(name)
      ? this.store.later(name, shape, build)
      : ready(this.keep(build(h)));
  }

  fail(problem: string): never {
    throw new DeepvisError(
      `${this.source}: node '${this.node.name}' (${this.node.op}): ${problem}`,
    );
  }
}
