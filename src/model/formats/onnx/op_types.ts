/** What an op implementation sees at load (its node, its inputs' values) and what it gives back. */
import type * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../../../errors.js';
import type { AttrValue, HostTensor, OnnxNode } from './decode.js';
import type { Layout, RtMeta, Value } from './layout.js';

export interface Compiled {
  /** Runtime inputs in node-input order; inputs known at load appear as null (the op kept them). */
  run(inputs: readonly (tf.Tensor | null)[]): tf.Tensor;
  readonly layout: Layout;
  readonly chw?: readonly [number, number, number];
  /** For taps: the logical activation function this node applies ('relu', …), so `:pre` reads its input. */
  readonly activation?: string;
  /** The node's parameters in tfjs layouts (kernel HWIO or [in, out], then bias), for weightsOf. */
  readonly weights?: tf.Tensor[];
}

export type OpCompiler = (ctx: OpCtx) => Compiled;

export class OpCtx {
  readonly kept: tf.Tensor[] = [];
  constructor(
    readonly node: OnnxNode,
    readonly opset: number,
    private values: readonly (Value | undefined)[],
    readonly source: string,
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

  fail(problem: string): never {
    throw new DeepvisError(`${this.source}: node '${this.node.name}' (${this.node.op}): ${problem}`);
  }
}
