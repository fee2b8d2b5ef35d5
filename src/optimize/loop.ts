/**
 * The one optimization loop every feature-visualization method runs:
 *   scores = objective.evaluate(model, transform(param.image()))
 *   grads  = ∂ Σ scores / ∂ param          (w.r.t. the param only — the model stays frozen)
 *   step   → projections → divergence check → callbacks (StepInfo, with the image)
 * Each batch item is its own problem: best-so-far image and score are kept per item, and an item
 * stops (its gradient is masked) once its score has converged. Every step runs in tf.tidy; the
 * only tensors that outlive a step are the param, the best images and the previous image.
 *
 * A run that diverges (divergence.ts) stops there and keeps its work: the result holds each
 * item's best image from the sane steps before, `stopped` says at which step and why, and onStep
 * hears of it once more (StepInfo.stopped), so a caller that only forwards onStep still learns it.
 *
 * Canvases larger than the model input: a transform may return k model-sized views per item
 * (item-major, e.g. DeepDream's tiles); an item's score is then the sum of its views' scores, and
 * priors read the views.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseTapeAfterError } from '../engine/tape.js';
import { DeepvisError } from '../errors.js';
import { checkLr, divergedMessage, divergenceOf, pinnedCount } from './divergence.js';
import { Ahead, drain, type Steps } from './drive.js';
import { Nadam } from './nadam.js';
import type { VisModel } from '../model/types.js';
import type { Objective } from '../objectives/objective.js';
import type { Param } from '../param/pixels.js';
import type { Projection } from '../projections/projections.js';
import { setLearningRate } from '../engine/internals.js';

export type StepRule =
  /** x += lr · g / rms(g), per image: step size in pixel units, whatever the gradient's scale. */
  | 'normalized'
  /** x += lr · g: the paper's plain gradient ascent. */
  | 'ascent'
  /** x += lr · g / max|g|, per image: no pixel moves more than lr in a step (the maximising-images paper §4). */
  | 'linf'
  /** x += lr · g / mean|g|, per image: DeepDream's step. */
  | 'mean'
  | 'adam'
  /** Keras's Nadam (optimize/nadam.ts): MaCo's optimizer. */
  | 'nadam'
  /**
   * x += min(maxLr, lr / ‖g‖²) · g, per image: a step the linearized score says raises it by lr
   * (the Deep Visualization Toolbox's 'progress' policy, Yosinski et al. 2015), at most maxLr · g.
   */
  | 'progress';

export interface OptimizeArgs {
  readonly steps: number;
  readonly lr: number;
  /** Default 'normalized'. */
  readonly rule?: StepRule;
  /** The 'progress' rule's cap on its step factor; default unbounded. */
  readonly maxLr?: number;
  readonly projections?: readonly Projection[];
  /** Learning-rate factor per step (see schedules.ts); default constant 1. */
  readonly schedule?: (step: number, steps: number) => number;
  /**
   * Random transform applied to the images before the model, every step (robustness); may return k
   * views per image. Called a second time with the same step, it draws the same (engine/rng.ts's
   * rewindPerStep): a pass ahead of the tape (optimize/drive.ts's Ahead) made that step's images.
   */
  readonly transform?: (x: tf.Tensor4D, step: number) => tf.Tensor4D;
  /** An item has converged when its score rose less than `tol` (relative) over `window` steps. */
  readonly convergence?: { readonly window: number; readonly tol: number };
  /**
   * 'best' (default): each item's best-scoring image; 'last': the final images — for noisy scores
   * (random transforms), where the best score is partly the luck of a transform.
   */
  readonly keep?: 'best' | 'last';
  readonly onStep?: (info: StepInfo) => void;
  /** Checked between steps; when it says aborted, the loop stops and returns the best so far. */
  readonly signal?: { readonly aborted: boolean };
}

export interface StepInfo {
  /** 0-based step just taken, of `steps`. */
  step: number;
  steps: number;
  /** Score of each item as scored in this step (before its update). */
  scores: Float32Array;
  /** Items still optimizing. */
  active: number;
  /** The images after this step and its projections [N, H, W, C], computed on first call; owned by the loop, valid until the next step. */
  image(): tf.Tensor4D;
  /** Set on the last call of a run that diverged: the step it stopped at and why; image() is then the best kept. */
  stopped?: Stopped;
}

export interface Stopped {
  readonly step: number;
  /** 'diverged at step N (…); lower --lr'. */
  readonly reason: string;
}

export interface OptimizeResult {
  /** Best image per item [N, H, W, C]; the caller disposes it. */
  images: tf.Tensor4D;
  /** Best score per item. */
  scores: Float32Array;
  /** Steps each item ran before it converged (or the step limit). */
  steps: Int32Array;
  /** Score of every item at every step: history[step][item]. */
  history: Float32Array[];
  seconds: number;
  /** When the run diverged: where it stopped (the images are the best from before). */
  stopped?: Stopped;
}

/** The loop itself, one step per `next()`: the browser drives it a few steps per frame (drive.ts). */
export function* optimizeSteps(
  model: VisModel,
  param: Param,
  objective: Objective,
  args: OptimizeArgs,
): Generator<StepInfo | Ahead, OptimizeResult, void> {
  const t0 = performance.now();
  checkLr(args.lr);
  if (!(Number.isInteger(args.steps) && args.steps >= 0))
    throw new DeepvisError(`steps must be a whole number ≥ 0; got ${args.steps}`);
  const rule = args.rule ?? 'normalized';
  const adam =
    rule === 'adam' ? tf.train.adam(args.lr) : rule === 'nadam' ? new Nadam(args.lr) : null;
  const first = param.image();
  const n = first.shape[0];
  let best = first as tf.Tensor4D;
  // The ascent gradient of the last step, for projections that read it (contribution clipping).
  let lastGrad: tf.Tensor4D | null = null;
  const wantGrad = Boolean(args.projections?.length && param.assignImage);
  const bestScores = new Float32Array(n).fill(-Infinity);
  const stepsTaken = new Int32Array(n).fill(args.steps);
  const active = new Array<boolean>(n).fill(true);
  const history: Float32Array[] = [];
  const window = args.convergence?.window ?? 0;
  const range = model.input.range;
  // The image scored in the previous step, to tell a diverging step from a sane one.
  let prev: tf.Tensor4D | null = null;
  let startPinned = 0;
  let shown: tf.Tensor4D | null = null;
  let stopped: Stopped | null = null;
  const diverged = (step: number, why: string | null): boolean => {
    if (why) stopped = { step, reason: divergedMessage(step, why) };
    return why != null;
  };
  try {
    for (let step = 0; step < args.steps; step++) {
      (shown as tf.Tensor | null)?.dispose();
      shown = null;
      if (args.signal?.aborted) break;
      // A model with an asynchronous engine attached (WebGPU in the page) runs this step's gradient
      // there first, for the image the tape pass below will make (the transform draws the same for
      // a step's second call): a driver that can wait waits for it, drain passes over it.
      const ahead = model.gradientAhead?.(objective.layers, () => {
        const img = param.image();
        return args.transform ? args.transform(img, step) : img;
      });
      if (ahead) yield new Ahead(ahead);
      let scores!: Float32Array;
      const lr = args.lr * (args.schedule ? args.schedule(step, args.steps) : 1);
      // The image this step scores: made once, inside the gradient's tape, and kept past it (the
      // param's image can cost as much as a small model: the Fourier spectrum's inverse DFT).
      const held: { image: tf.Tensor4D | null } = { image: null };
      let halted = false;
      // The scored image is freed even when a step throws (a bad objective, an aborted kernel).
      try {
        tf.tidy(() => {
          const f = () =>
            tf.tidy(() => {
              const img = param.image();
              held.image = tf.keep(img);
              const x = args.transform ? args.transform(img, step) : img;
              const views = x.shape[0] / n;
              let s = objective.evaluate(model, x, views > 1 ? x : img);
              if (views > 1) s = s.reshape([n, views]).sum(1);
              scores = s.dataSync() as Float32Array;
              return s.sum().neg() as tf.Scalar;
            });
          const { grads } = tf.variableGrads(f, param.variables as tf.Variable[]);
          // A diverged image stops the run before its gradient is applied.
          const img = held.image!;
          if (step === 0 && param.bounded) startPinned = pinnedCount(img, range);
          const why = divergenceOf(prev, img, range, undefined, param.bounded, startPinned);
          if (diverged(step, why)) {
            halted = true;
            return;
          }
          const updates: { name: string; tensor: tf.Tensor }[] = [];
          for (const v of param.variables) {
            // Ascent direction: −∂(−Σ scores)/∂v, zeroed for converged items. A variable's rows
            // are item-major: k rows per image (k = C for the Fourier spectrum, one per channel).
            const k = v.shape[0] / n;
            if (!Number.isInteger(k))
              throw new Error(`param variable ${v.name} has ${v.shape[0]} rows for ${n} images`);
            const rows = active.flatMap((a) => new Array<number>(k).fill(a ? 1 : 0));
            const mask = tf.tensor1d(rows).reshape([v.shape[0], ...new Array(v.rank - 1).fill(1)]);
            let g = grads[v.name].neg().mul(mask);
            if (wantGrad) {
              lastGrad?.dispose();
              lastGrad = tf.keep(g.clone()) as tf.Tensor4D;
            }
            const axes = Array.from({ length: v.rank - 1 }, (_, i) => i + 1);
            if (rule === 'normalized') g = g.div(g.square().mean(axes, true).sqrt().add(1e-12));
            if (rule === 'linf') g = g.div(g.abs().max(axes, true).add(1e-12));
            if (rule === 'mean') g = g.div(g.abs().mean(axes, true).add(1e-8));
            if (rule === 'progress')
              g = g.mul(
                tf.minimum(
                  tf.scalar((args.maxLr ?? Infinity) / lr),
                  tf.scalar(1).div(g.square().sum(axes, true).add(1e-30)),
                ),
              );
            if (adam) updates.push({ name: v.name, tensor: g.neg() });
            else v.assign(v.add(g.mul(lr)));
          }
          // One call for every variable: tfjs's Adam advances its bias correction (β₁ᵗ, β₂ᵗ) once
          // per call, so a call per variable ran a two-variable param's steps at the wrong t.
          if (adam) {
            setLearningRate(adam, lr);
            adam.applyGradients(updates);
          }
        });
        if (halted) {
          held.image?.dispose();
          break;
        }
        history.push(scores);
        // Best so far is judged on the image as it was scored (before this step's update).
        tf.tidy(() => {
          const improved = Array.from(scores, (s, i) => s > bestScores[i]);
          if (improved.some(Boolean)) {
            const keepMask = tf.tensor1d(improved.map((b) => (b ? 1 : 0))).reshape([n, 1, 1, 1]);
            const next = tf.keep(
              held.image!.mul(keepMask).add(best.mul(tf.scalar(1).sub(keepMask))) as tf.Tensor4D,
            );
            best.dispose();
            best = next;
            improved.forEach((b, i) => b && (bestScores[i] = scores[i]));
          }
        });
      } catch (e) {
        held.image?.dispose();
        throw e;
      }
      const scored = held.image!;
      prev?.dispose();
      prev = scored;
      if (
        scores.some((v) => !Number.isFinite(v)) &&
        diverged(step, divergenceOf(null, scored, range, scores))
      )
        break;
      if (args.projections?.length && param.assignImage) {
        const ctx = { step, grad: lastGrad };
        const projected = tf.tidy(() =>
          args.projections!.reduce((x, p) => p(x, ctx), param.image()),
        );
        param.assignImage(projected);
        projected.dispose();
      }
      if (window > 0 && step >= window) {
        const then = history[step - window];
        for (let i = 0; i < n; i++) {
          if (!active[i]) continue;
          const gain = scores[i] - then[i];
          if (gain <= args.convergence!.tol * Math.max(Math.abs(scores[i]), 1e-6)) {
            active[i] = false;
            stepsTaken[i] = step + 1;
          }
        }
      }
      const info: StepInfo = {
        step,
        steps: args.steps,
        scores,
        active: active.filter(Boolean).length,
        image: () => (shown ??= param.image()),
      };
      args.onStep?.(info);
      if (!active.some(Boolean)) break;
      yield info;
    }
    if (!stopped) {
      const last = param.image();
      try {
        // The last update has no next step to check it: compare it here (step number = steps taken).
        diverged(
          history.length,
          divergenceOf(prev, last, range, undefined, param.bounded, startPinned),
        );
      } finally {
        last.dispose();
      }
    }
  } catch (e) {
    best.dispose();
    releaseTapeAfterError();
    throw e;
  } finally {
    adam?.dispose();
    (lastGrad as tf.Tensor | null)?.dispose();
    (prev as tf.Tensor | null)?.dispose();
    (shown as tf.Tensor | null)?.dispose();
  }
  const halt = stopped as Stopped | null;
  if (halt) {
    // Diverged: the best sane image of every item is kept, whatever `keep` says; items still running stopped here.
    active.forEach((a, i) => a && (stepsTaken[i] = halt.step));
    const kept = best;
    try {
      args.onStep?.({
        step: Math.max(0, halt.step - 1),
        steps: args.steps,
        scores: bestScores,
        active: 0,
        image: () => kept,
        stopped: halt,
      });
    } catch (e) {
      kept.dispose();
      throw e;
    }
  } else if (args.keep === 'last') {
    best.dispose();
    best = param.image();
    if (history.length) bestScores.set(history[history.length - 1]);
  }
  return {
    images: best,
    scores: bestScores,
    steps: stepsTaken,
    history,
    seconds: (performance.now() - t0) / 1000,
    ...(halt ? { stopped: halt } : {}),
  };
}

export function optimize(
  model: VisModel,
  param: Param,
  objective: Objective,
  args: OptimizeArgs,
): OptimizeResult {
  return drain(optimizeSteps(model, param, objective, args));
}

/** optimizeSteps over a param it owns: the param is disposed when the run ends, however it ends. */
export function* optimizeOwned(
  model: VisModel,
  param: Param,
  objective: Objective,
  args: OptimizeArgs,
): Steps<OptimizeResult> {
  try {
    return yield* optimizeSteps(model, param, objective, args);
  } finally {
    param.dispose();
  }
}
