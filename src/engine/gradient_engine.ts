/**
 * Which engine computes gradients (issue 26): tfjs's tape, or — for ONNX files in Node — the
 * model's own gradient graph on onnxruntime, entered into the tape as one op. 'auto' (default)
 * takes onnxruntime where it works for the model (installed, every op with a VJP rule, weights as
 * loaded) and tfjs elsewhere; 'onnxruntime' asks for it (a model it cannot serve still runs, on
 * tfjs, and `inspect` says why); 'tfjs' never uses it. Set by initEngine({ gradients }) — the CLI's
 * --gradients — or DEEPVIS_GRADIENTS.
 */
import { DeepvisError } from '../errors.js';

export type GradientEngineChoice = 'auto' | 'onnxruntime' | 'tfjs';
export const GRADIENT_ENGINES: readonly GradientEngineChoice[] = ['auto', 'onnxruntime', 'tfjs'];

let choice: GradientEngineChoice = 'auto';
let fusion = false;

/** The value of `--gradients` or DEEPVIS_GRADIENTS checked (undefined → 'auto'). */
export function parseGradientEngine(
  value: string | undefined,
  from = 'DEEPVIS_GRADIENTS',
): GradientEngineChoice {
  if (value == null || value === '') return 'auto';
  if (!(GRADIENT_ENGINES as readonly string[]).includes(value)) {
    throw new DeepvisError(`${from} must be one of ${GRADIENT_ENGINES.join(', ')}; got '${value}'`);
  }
  return value as GradientEngineChoice;
}

export function setGradientEngine(c: GradientEngineChoice): void {
  choice = c;
}

export const gradientEngineChoice = (): GradientEngineChoice => choice;

/**
 * Whether a native engine may run taps and gradients in one fused run once a tap gradient repeats
 * (engine/native_gradient.ts). Off by default: on ResNet-18 the fused run took as long as the
 * forward and backward runs it replaces (1,305 vs 1,353 ms at batch 8, same process), while its
 * session holds 100–160 MB more and its first use costs a session's start (≈ 1 s).
 */
export function setGradientFusion(on: boolean): void {
  fusion = on;
}

export const gradientFusion = (): boolean => fusion;

/**
 * What a native backward pass keeps of its forward (issue 26, item 5): 'saved' (default) — the
 * forward run hands the backward run the few tensors its rules read (ReLU masks, pooling
 * indices) and the backward graph reads those; 'recompute' — the forward run hands over nothing
 * and the backward runs the fused graph (image and tap gradients in, the forward recomputed inside
 * the one run). Measured in bench/grad_memory.ts.
 */
export type GradientMemory = 'saved' | 'recompute';
let memory: GradientMemory = 'saved';

export function setGradientMemory(m: GradientMemory): void {
  memory = m;
}

export const gradientMemory = (): GradientMemory => memory;
