/**
 * What a VJP rule sees and gives back. A rule is one function per ONNX op: given the forward node
 * and the gradient arriving at its outputs, it adds ONNX nodes computing the gradient of each input
 * that needs one. Rules read forward tensors (the node's inputs and outputs) freely; the builder
 * decides whether those stay inside one session run or are handed from the forward run to the
 * backward one.
 */
import type { BackwardRules } from '../../../../engine/rules.js';
import type { EncAttr } from '../encode.js';
import type { HostTensor, OnnxNode } from '../decode.js';

export interface Vjp {
  readonly node: OnnxNode;
  /** The gradient graph's ai.onnx opset (≥ 16: the builder upgrades older models). */
  readonly opset: number;
  readonly rules: BackwardRules;
  /** Gradient arriving at output 0 (rules for one-output ops read this). */
  readonly dy: string;
  /** Gradient arriving at output k, or null when nothing downstream of it is differentiated. */
  dyOf(k: number): string | null;
  /** Does input i lie on a path from the image (or an offset) to a tap? */
  needs(i: number): boolean;
  /** The node's input i / output k as graph tensors. */
  x(i?: number): string;
  y(k?: number): string;
  /** Static logical (ONNX) shape, at the probe's batch, of a forward tensor or a constant. */
  shape(name: string): readonly number[];
  /** Whether an axis of a forward tensor grows with the batch (the importer's probes at two batch sizes say). */
  batched(name: string, axis: number): boolean;
  /** `shape(name)` with -1 on its batch axis, for Reshape targets. */
  reshapeTarget(name: string): number[];
  /** A value known when the graph is built (initializers, folded shape arithmetic), or undefined. */
  value(name: string): HostTensor | undefined;
  attr(name: string, fallback: number): number;
  attr(name: string, fallback: string): string;
  attr<T>(name: string, fallback: T): T;
  op(type: string, inputs: readonly string[], attrs?: Record<string, EncAttr | undefined>): string;
  opN(
    type: string,
    inputs: readonly string[],
    n: number,
    attrs?: Record<string, EncAttr | undefined>,
  ): string[];
  /** Constants. */
  floats(data: readonly number[] | Float32Array, dims?: readonly number[]): string;
  ints(data: readonly number[]): string;
  /** The forward node's output k (MaxPool's Indices), asked for if the model did not. */
  extraOutput(k: number): string;
  /** g summed over the axes along which input i was broadcast to the node's output, in input i's shape. */
  reduceTo(g: string, i: number): string;
  /** This node cannot be differentiated here: the model's gradients stay on tfjs, with `why` said. */
  fail(why: string): never;
}

/** One entry per node input: its gradient, or null (not differentiable, or not needed). */
export type VjpRule = (v: Vjp) => ReadonlyArray<string | null | undefined>;
export type VjpTable = Readonly<Record<string, VjpRule>>;

/** Thrown by `fail`: the builder catches it and reports the op and why. */
export class NoVjp extends Error {
  constructor(
    readonly op: string,
    readonly node: string,
    readonly why: string,
  ) {
    super(`${op} (${node}): ${why}`);
  }
}
