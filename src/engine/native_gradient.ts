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

/** The taps of one set, as a tape op. Keeps the last tap gradients (for the fused run); one per model and set of taps. */
export class NativeTapOp {
  private last: { key: string; dys: HostArray[]; repeated: boolean } | null = null;
  /** Fused runs whose prediction held / failed (for tests and the bench). */
  readonly stats = { fused: 0, mispredicted: 0, split: 0 };

  constructor(private readonly program: NativeTapProgram) {}

  get engine(): string {
    return this.program.engine;
  }

  /** Taps of x [N, H, W, C] (delta: an offset at the program's offset layer), recorded on the tape. Caller disposes. */
  apply(x: tf.Tensor, delta?: tf.Tensor): tf.Tensor[] {
    const rules = activeRules();
    const program = this.program;
    const xs = hostOf(x);
    const ds = delta ? hostOf(delta) : null;
    const key = `${rulesKey(rules)}|${x.shape.join(',')}|${delta ? delta.shape.join(',') : ''}`;
    const guess =
      gradientFusion() && this.last?.key === key && this.last.repeated ? this.last.dys : null;
    let predicted = null as ReturnType<NativeTapProgram['fused']> | null;
    let pass = null as NativeForward | null;
    const forwardFunc = () => {
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
        const same = this.last?.key === key && sameData(this.last.dys, dys);
        this.last = { key, dys, repeated: same };
        if (predicted && guess && sameData(guess, dys)) {
          this.stats.fused++;
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
