/**
 * A model's layers as one differentiable op in tfjs's tape, computed by a native engine (issue 26,
 * item 3): the forward runs the image to the taps there, and the op's gradient sends the gradients
 * arriving at the taps back there too. Parameterizations, transforms and objectives stay tfjs ops
 * around it, so every method that differentiates with tf.grad gets native gradients unchanged.
 *
 * A forward run hands the backward run what it needs (masks, switches: see grad/build.ts); nothing
 * is recomputed. Linear objectives (a channel's mean, a logit, a direction: the gradient at the
 * taps does not depend on the activations) send the same tap gradient step after step; with
 * fusion on (engine/gradient_engine.ts, off by default: measured no faster), once the last two
 * backward passes brought identical tap gradients the next forward runs the fused graph with that
 * gradient — taps and input gradient in one native run — and the backward only checks that the
 * gradient that arrives is the one predicted (anything else runs the backward graph as usual: the
 * result never depends on the guess).
 *
 * The same prediction serves an engine the tape cannot wait for (onnxruntime-web on WebGPU: its runs
 * are asynchronous). A driver that can wait runs the fused graph there ahead of the step, for the
 * step's image and the predicted tap gradients, and `offer`s the result; the tape pass that follows
 * takes its taps and, when the gradient that arrives is the predicted one, its input gradient. Any
 * other gradient is computed here, and another image runs here as usual, so again the result does
 * not depend on the guess (up to the two engines' rounding: the taps are the other engine's).
 *
 * Only first-order gradients come here (the caller checks): the op's gradient is a constant to tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostArray } from './forward_runner.js';
import { gradientFusion } from './gradient_engine.js';
import { runCustomKernel } from './internals.js';
import { activeRules, rulesKey, type BackwardRules } from './rules.js';
import { NATIVE_TAPS } from './rule_sets.js';

export interface NativeGradients {
  readonly dx?: HostArray;
  readonly dDelta?: HostArray;
}

/** One forward run's taps (tap form: rank-4 maps NHWC) and the backward that goes with it. */
export interface NativeForward {
  readonly taps: readonly HostArray[];
  backward(
    dys: readonly HostArray[],
    want: { readonly dx: boolean; readonly dDelta: boolean },
  ): NativeGradients;
}

/** What the model's format provides (model/formats/onnx/grad/native.ts for ONNX files). */
export interface NativeTapProgram {
  /** 'onnxruntime-node 1.30.0'. */
  readonly engine: string;
  forward(x: HostArray, delta: HostArray | null, rules: BackwardRules): NativeForward;
  /** Taps and gradients in one run, for tap gradients known before the forward. */
  fused(
    x: HostArray,
    delta: HostArray | null,
    dys: readonly HostArray[],
    rules: BackwardRules,
  ): { taps: readonly HostArray[] } & Required<Pick<NativeGradients, 'dx'>> & NativeGradients;
}

/** tfjs's kernel entry for ops with their own forward and backward functions (what tf.customGrad uses), typed. */
const hostOf = (t: tf.Tensor): HostArray => ({ data: t.dataSync() as Float32Array, dims: t.shape });
const tensorOf = (h: HostArray): tf.Tensor => tf.tensor(h.data, [...h.dims], 'float32');

function sameData(a: readonly HostArray[], b: readonly HostArray[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const [x, y] = [a[k].data, b[k].data];
    if (x.length !== y.length || !tf.util.arraysEqual(a[k].dims as number[], b[k].dims as number[]))
      return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/** Keys (rules and shapes) whose last tap gradients an op keeps, and at most this many floats of them (32 MB). */
const KEPT_KEYS = 4;
const KEPT_FLOATS = 8 << 20;

const keyOf = (
  rules: BackwardRules,
  x: readonly number[],
  delta: readonly number[] | null,
): string => `${rulesKey(rules)}|${x.join(',')}|${delta ? delta.join(',') : ''}`;

/** A fused run made ahead of the tape (another engine's): for image `x` under tap gradients `dys`. */
export interface AheadRun {
  /** What `prediction` keyed it by: the rules and shapes it was made for (`aheadKey`). */
  readonly key: string;
  readonly x: HostArray;
  readonly dys: readonly HostArray[];
  readonly result: { readonly taps: readonly HostArray[]; readonly dx: HostArray };
  /** Called when a tape pass takes the run's input gradient. */
  readonly taken?: () => void;
}

/** The key of a run ahead made now (under the active rules) for images shaped `x`. */
export const aheadKey = (x: readonly number[]): string => keyOf(activeRules(), x, null);

/** The taps of one set, as a tape op. Keeps the last tap gradients (for the fused run); one per model and set of taps. */
export class NativeTapOp {
  /**
   * The last tap gradients per key (rules and shapes), and whether they repeated the ones before:
   * passes of other rules or batch sizes in between (the page's deconvnet views while a Lucid run
   * goes on) do not wipe a run's prediction.
   */
  private readonly last = new Map<string, { dys: HostArray[]; repeated: boolean }>();
  /** A fused run made ahead on another engine, for the next apply on its image. */
  private ahead: AheadRun | null = null;
  /**
   * Fused runs whose prediction held / failed, passes split into forward and backward, and of the
   * fused runs, those made ahead on another engine (for tests, the bench and the page).
   */
  readonly stats = { fused: 0, mispredicted: 0, split: 0, ahead: 0 };

  constructor(private readonly program: NativeTapProgram) {}

  get engine(): string {
    return this.program.engine;
  }

  /**
   * The tap gradients the next backward pass of images shaped like x under the active rules will
   * most likely bring (the last two brought these), or null: what a run ahead feeds its fused graph.
   */
  prediction(x: readonly number[]): readonly HostArray[] | null {
    const l = this.last.get(keyOf(activeRules(), x, null));
    return l?.repeated ? l.dys : null;
  }

  /** A fused run of `x` (host image, as apply would read it) under `dys`, made elsewhere for the next apply on the same image. */
  offer(run: AheadRun): void {
    this.ahead = run;
  }

  /** Taps of x [N, H, W, C] (delta: an offset at the program's offset layer), recorded on the tape. Caller disposes. */
  apply(x: tf.Tensor, delta?: tf.Tensor): tf.Tensor[] {
    const rules = activeRules();
    const program = this.program;
    const xs = hostOf(x);
    const ds = delta ? hostOf(delta) : null;
    const key = keyOf(rules, x.shape, delta?.shape ?? null);
    // A run made ahead for this very image (and the active rules) is this pass's prediction. A
    // pass of other rules or shapes leaves it for the pass it was made for; another image drops it.
    const ahead = this.ahead?.key === key && !ds ? this.ahead : null;
    if (ahead) this.ahead = null;
    const made = ahead && sameData([ahead.x], [xs]) ? ahead.result : null;
    const seen = this.last.get(key);
    const guess = made ? ahead!.dys : gradientFusion() && seen?.repeated ? seen.dys : null;
    let predicted = made as ReturnType<NativeTapProgram['fused']> | null;
    let pass = null as NativeForward | null;
    const forwardFunc = () => {
      if (made) return made.taps.map(tensorOf);
      if (guess) {
        predicted = program.fused(xs, ds, guess, rules);
        return predicted.taps.map(tensorOf);
      }
      pass = program.forward(xs, ds, rules);
      return pass.taps.map(tensorOf);
    };
    const backwardsFunc = (dy: tf.Tensor | tf.Tensor[]) => {
      const dys = (Array.isArray(dy) ? dy : [dy]).map((d) => ({
        data: Float32Array.from(d.dataSync() as Float32Array),
        dims: d.shape,
      }));
      let result: NativeGradients | null = null;
      const compute = (want: { dx: boolean; dDelta: boolean }): NativeGradients => {
        if (result && (!want.dx || result.dx) && (!want.dDelta || result.dDelta)) return result;
        if (result) {
          // An earlier call wanted less (the offset's gradient alone): both, from the saved forward.
          pass ??= program.forward(xs, ds, rules);
          return (result = pass.backward(dys, { dx: true, dDelta: true }));
        }
        const before = this.last.get(key);
        this.last.delete(key);
        this.last.set(key, { dys, repeated: before != null && sameData(before.dys, dys) });
        // The few keys used last (a map's insertion order: oldest first), within a memory bound.
        let floats = 0;
        for (const l of this.last.values()) for (const d of l.dys) floats += d.data.length;
        while (this.last.size > 1 && (this.last.size > KEPT_KEYS || floats > KEPT_FLOATS)) {
          const [oldest, l] = this.last.entries().next().value!;
          for (const d of l.dys) floats -= d.data.length;
          this.last.delete(oldest);
        }
        if (predicted && guess && sameData(guess, dys)) {
          this.stats.fused++;
          if (made) {
            this.stats.ahead++;
            ahead!.taken?.();
          }
          return (result = predicted);
        }
        if (predicted) this.stats.mispredicted++;
        else this.stats.split++;
        pass ??= program.forward(xs, ds, rules);
        return (result = pass.backward(dys, want));
      };
      const grads: Record<string, () => tf.Tensor> = {
        // Asked for x first (tfjs walks the inputs in order): the one run gives the offset's too.
        x: () => tensorOf(compute({ dx: true, dDelta: delta != null }).dx!),
      };
      if (delta) grads.delta = () => tensorOf(compute({ dx: false, dDelta: true }).dDelta!);
      return grads;
    };
    // Recorded under its own name: a rule set on the tape (engine/rule_sets.ts) leaves it alone, its
    // backward applies the same rules natively.
    return tf.tidy(NATIVE_TAPS, () =>
      runCustomKernel(forwardFunc, backwardsFunc, delta ? { x, delta } : { x }),
    );
  }
}
