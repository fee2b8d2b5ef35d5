/**
 * Every change deepvis makes to how TensorFlow.js computes, in one list, and the switch between
 * deepvis's engine and stock tfjs (initEngine({ patches: 'stock' }), DEEPVIS_ENGINE=stock in the
 * CLI). Both modes give the same numbers within float error (patches.test.ts): the patches save
 * time and memory, never change a result.
 *
 * Always on, in both modes (tfjs 4.22 refuses or gets these numbers wrong): dilated convolution
 * gradients, the padded average-pool gradient, ReLU6's gradient at 6 (relu_gradient.ts), wasm's
 * MaxPoolGrad and GatherV2 with batchDims, and the cpu bridge for kernels wasm lacks
 * (kernels/install.ts).
 *
 * The deepvis mode only, in this order:
 * - gradients registered in tfjs's registry: ReLU without its cast, reading the op's output
 *   (relu_gradient.ts); batch norm with lazy closures (lazy_gradients.ts);
 * - kernel and tape hooks (internals.ts): lazy gradients for fused ops, batch norm without scale
 *   or offset made differentiable (lazy_gradients.ts); shape-only saves for Add, Sub, … (shape_saves.ts);
 * - the lean backward walk (lean_backward.ts) and tidy results that are not walked (tidy_results.ts);
 * - faster kernels for wasm (kernels/install.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { installAvgPoolGradient } from './avg_pool_gradient.js';
import { installDilatedGradients } from './dilated_gradients.js';
import { setHookMode, tapeHookNames, type PatchMode } from './internals.js';
import { installKernels, type KernelReport } from './kernels/install.js';
import { installLazyGradients, LAZY_BATCH_NORM } from './lazy_gradients.js';
import { installLeanBackward } from './lean_backward.js';
import { RELU6_GRADIENT, RELU_GRADIENT } from './relu_gradient.js';
import { installShapeOnlySaves } from './shape_saves.js';
import { installPlainTidyResults } from './tidy_results.js';

export type { PatchMode } from './internals.js';

/** The deepvis mode's registered gradients, in place of tfjs's. */
const GRADIENTS: readonly tf.GradConfig[] = [RELU_GRADIENT, LAZY_BATCH_NORM];

/** tfjs's own gradients for those kernels, read once before the first replacement. */
let stockGradients: Map<string, tf.GradConfig | undefined> | null = null;
let hooksInstalled = false;

/** The mode as parsed from DEEPVIS_ENGINE (the CLI's and the tests' switch); an unknown value is one line. */
export function patchModeFrom(env: string | undefined): PatchMode | undefined {
  if (env == null || env === '') return undefined;
  if (env === 'stock' || env === 'deepvis') return env;
  throw new DeepvisError(`DEEPVIS_ENGINE must be 'stock' or 'deepvis'; got '${env}'`);
}

/** Puts the engine in `mode` for `backendName` (idempotent; switching back and forth is allowed). */
export function applyPatches(mode: PatchMode, backendName: string): KernelReport {
  installDilatedGradients();
  installAvgPoolGradient();
  tf.registerGradient(RELU6_GRADIENT);
  stockGradients ??= new Map(GRADIENTS.map((g) => [g.kernelName, tf.getGradient(g.kernelName)]));
  if (!hooksInstalled) {
    hooksInstalled = true;
    installLazyGradients();
    installShapeOnlySaves();
    installLeanBackward();
    installPlainTidyResults();
  }
  for (const g of GRADIENTS) {
    const stock = stockGradients.get(g.kernelName);
    if (mode === 'deepvis') tf.registerGradient(g);
    else if (stock) tf.registerGradient(stock);
    else tf.unregisterGradient(g.kernelName);
  }
  setHookMode(mode);
  return installKernels(backendName, mode);
}

/** What the deepvis mode changes, for `inspect` and the docs: the tape hooks in the order they run. */
export const tapeHooks = (): string[] => tapeHookNames();
