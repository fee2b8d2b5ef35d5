/**
 * The page's engine choice per model (issue 26, item 6). An ONNX model can run its forwards and
 * gradients on onnxruntime-web or on tfjs. Which one is faster depends on the model: single-threaded
 * onnxruntime-web lost to tfjs on MNIST-sized models (3.8 against 11.3 frames/s). 'auto' times both
 * on the model itself and keeps the faster: one image's forward and input gradient, the work of a
 * live frame with the backprop view, best of two after a warm-up. 'webgpu' keeps the passes on
 * onnxruntime-web's wasm build and sends to its WebGPU build (webgpu_gradients.ts), whose runs the
 * tape cannot wait for, the work that can wait: the backprop view's maps and the gradients of
 * optimization steps (run ahead of each step's tape pass).
 */
import * as tf from '@tensorflow/tfjs';
import type { VisModel } from '../../../src/index.js';

export type EngineChoice = 'auto' | 'native' | 'webgpu' | 'tfjs';
/** The choices as the page lists them. */
export const ENGINE_CHOICES: ReadonlyArray<{
  readonly value: EngineChoice;
  readonly label: string;
}> = [
  { value: 'auto', label: 'auto (the faster, timed)' },
  { value: 'native', label: 'onnxruntime-web' },
  { value: 'webgpu', label: 'onnxruntime-web, gradients on WebGPU where they can wait' },
  { value: 'tfjs', label: 'tfjs' },
];

/** A native pass slower than this is not timed on tfjs too: the native engine is kept. */
const SLOW_MS = 1500;

export interface EngineOutcome {
  readonly engine: 'native' | 'tfjs';
  /** ms of a forward and a gradient on each engine that was timed ('auto' only). */
  readonly native?: number;
  readonly tfjs?: number;
}

/** Best ms of one image's forward and input gradient on the model's current engine. */
function passMs(model: VisModel, reps = 2): number {
  const [lo, hi] = model.input.range;
  const x = tf.randomUniform([1, ...model.input.shape], lo, hi, 'float32', 1) as tf.Tensor4D;
  const once = () =>
    tf.tidy(() => {
      model.predict(x).dataSync();
      tf.grad((v: tf.Tensor) => model.predict(v as tf.Tensor4D).sum())(x).dataSync();
    });
  let best = Infinity;
  try {
    once();
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      once();
      best = Math.min(best, performance.now() - t);
    }
  } finally {
    x.dispose();
  }
  return best;
}

/** Puts the model on the chosen engine; null for a model with one engine only. */
export function applyEngine(model: VisModel, choice: EngineChoice): EngineOutcome | null {
  if (!model.useEngine) return null;
  const use = model.useEngine.bind(model);
  use('native');
  // No native engine came with it (onnxruntime-web did not load): nothing to choose.
  if ((model.forwardEngine ?? 'tfjs') === 'tfjs' && (model.gradientEngine ?? 'tfjs') === 'tfjs')
    return null;
  if (choice !== 'auto') {
    // WebGPU runs only the backprop view's maps (asynchronous): the passes stay on the wasm build.
    const engine = choice === 'webgpu' ? 'native' : choice;
    use(engine);
    return { engine };
  }
  const native = passMs(model);
  if (native > SLOW_MS) return { engine: 'native', native };
  use('tfjs');
  const tfjs = passMs(model);
  const engine = native <= tfjs ? 'native' : 'tfjs';
  use(engine);
  return { engine, native, tfjs };
}

/** What the model line says of the choice. */
export function describeOutcome(o: EngineOutcome, choice: EngineChoice): string {
  if (choice !== 'auto') return 'engine chosen by hand';
  const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  if (o.tfjs == null)
    return `engine auto: a forward and gradient took ${ms(o.native!)} natively, so tfjs was not timed`;
  return `engine auto: a forward and gradient ${ms(o.native!)} native, ${ms(o.tfjs)} on tfjs`;
}
