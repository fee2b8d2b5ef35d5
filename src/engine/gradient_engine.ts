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

/** The value of `--gradients` or DEEPVIS_GRADIENTS checked (undefined → 'auto'). */
export function parseGradientEngine(value: string | undefined, from = 'DEEPVIS_GRADIENTS'): GradientEngineChoice {
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
