/**
 * "Why is it blank": when an optimized image comes out flat, or its unit barely responds, say why
 * and what to try. Checks, per unit:
 *   - dead: no data-set image gives the unit a positive activation (its best is ≤ 0);
 *   - local: a channel whose mean over the map is never positive on the data, though it fires in
 *     places (its peak is): the channel objective cannot see it, one neuron can;
 *   - zero gradient at the start: ∂unit/∂image is exactly 0 at the start (every ReLU path to the
 *     unit is off) — and whether the leaky-ReLU gradient (engine/rules.ts, 'leaky'; Xplique's
 *     warm-up) would get it going;
 *   - sigmoid saturated: the unit's layer ends in a sigmoid and the unit sits within 1% of 0 or 1
 *     on the image, where the sigmoid's gradient has vanished;
 *   - range clipped: half the image's values or more are pinned at the ends of the input range;
 *   - flat: the image's values spread less than 0.1% of the range;
 *   - weak, when none of the above: the unit moved, but to under 10% of its best data-set
 *     activation (too few steps or too small a step for this model).
 * A unit is diagnosed when its image is flat, or its relative activation is below 10% (or
 * unknown, for want of data); causes found are listed in this order, with advice.
 */
import * as tf from '@tensorflow/tfjs';
import { memoryBudget } from '../engine/memory.js';
import { tidyData } from '../engine/read.js';
import { imagesThatFit } from '../model/memory.js';
import { withRules } from '../engine/rules.js';
import type { VisModel } from '../model/types.js';
import { unitScores, units as unitObjective, type UnitSelector } from '../objectives/units.js';

export type BlankCause =
  'dead' | 'local' | 'zero-gradient' | 'sigmoid-saturated' | 'range-clipped' | 'flat' | 'weak';

export interface BlankDiagnosis {
  unit: number;
  causes: BlankCause[];
  /** One sentence per cause, with what to try. */
  messages: string[];
}

export interface BlankArgs {
  readonly layer: string;
  /** Unit of image i. */
  readonly units: readonly number[];
  readonly neuron?: UnitSelector['neuron'];
  /** Best data-set activation per image's unit (null: no data). */
  readonly best?: ArrayLike<number> | null;
  /** Per image's unit, its best value anywhere in its map on the data (QualityReference.peak). */
  readonly peak?: ArrayLike<number> | null;
  /** Where the optimization started [N or 1, H, W, C]; default the model's neutral image. Read, not kept. */
  readonly start?: tf.Tensor4D;
  /** The data set's name, for the messages. */
  readonly dataset?: string;
}

/** |∂ unit / ∂ x| summed per image at x, under the stock or the leaky ReLU gradient. */
function gradientMass(
  model: VisModel,
  x: tf.Tensor4D,
  args: BlankArgs,
  leaky: boolean,
): Float32Array {
  const objective = unitObjective(model.layer(args.layer), args.units, { neuron: args.neuron });
  const run = () =>
    tidyData(() => {
      const g = tf.grad((img: tf.Tensor) => objective.evaluate(model, img as tf.Tensor4D).sum())(x);
      return g.abs().sum([1, 2, 3]);
    });
  return leaky ? withRules({ relu: 'leaky' }, run) : run();
}

/**
 * Per image, Σ|∂unit/∂x| at `start` [N, H, W, C] under the stock ReLU gradient and under the
 * leaky one: where the first is 0 and the second is not, a leaky warm-up gets the run going.
 */
export function startGradient(
  model: VisModel,
  start: tf.Tensor4D,
  args: Pick<BlankArgs, 'layer' | 'units' | 'neuron'>,
): { stock: Float32Array; leaky: Float32Array } {
  const a = { ...args } as BlankArgs;
  return {
    stock: gradientMass(model, start, a, false),
    leaky: gradientMass(model, start, a, true),
  };
}

export function diagnoseBlank(
  model: VisModel,
  images: tf.Tensor4D,
  args: BlankArgs,
): BlankDiagnosis[] {
  const n = images.shape[0];
  const [lo, hi] = model.input.range;
  const layer = model.layer(args.layer);
  const base = model.layer(layer.name.replace(/:pre$/, ''));
  const sigmoid =
    !layer.name.endsWith(':pre') &&
    /sigmoid/i.test(base.activation ?? (base.kind === 'Activation' ? base.name : ''));
  // In rows that fit the memory budget: a gradient through every image at once went past it.
  const chunk = Math.min(n, imagesThatFit(model, memoryBudget(), { layer: layer.name }));
  const spread = new Float32Array(n),
    pinned = new Float32Array(n),
    acts = new Float32Array(n),
    grad = new Float32Array(n),
    leakyGrad = new Float32Array(n);
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    const part = { ...args, units: args.units.slice(from, to) };
    const rows = tf.tidy(
      () => images.slice([from, 0, 0, 0], [to - from, -1, -1, -1]) as tf.Tensor4D,
    );
    try {
      const m = tf.tidy(() => {
        const flat = rows.reshape([to - from, -1]);
        const tol = 1e-3 * (hi - lo);
        const ends = flat
          .less(lo + tol)
          .logicalOr(flat.greater(hi - tol))
          .toFloat()
          .mean(1);
        const [a] = model.activations(rows, [layer.name]);
        const sc = unitScores(a, layer, { neuron: args.neuron });
        const own = tf.tensor1d(
          part.units.map((u, i) => i * layer.units + u),
          'int32',
        );
        return {
          spread: flat.max(1).sub(flat.min(1)).dataSync() as Float32Array,
          pinned: ends.dataSync() as Float32Array,
          acts: sc.reshape([-1]).gather(own).dataSync() as Float32Array,
        };
      });
      spread.set(m.spread, from);
      pinned.set(m.pinned, from);
      acts.set(m.acts, from);
    } finally {
      rows.dispose();
    }
    const start = tf.tidy(() => {
      const s =
        args.start ??
        tf.fill([1, ...model.input.shape], model.input.shape[2] === 1 ? lo : (lo + hi) / 2);
      // Row r starts from s[r mod |s|] (the whole batch's tiling), whichever chunk it is in.
      return tf.gather(
        s,
        tf.tensor1d(
          Array.from({ length: to - from }, (_, k) => (from + k) % s.shape[0]),
          'int32',
        ),
      ) as tf.Tensor4D;
    });
    try {
      grad.set(gradientMass(model, start, part, false), from);
      leakyGrad.set(gradientMass(model, start, part, true), from);
    } finally {
      start.dispose();
    }
  }
  const where = args.dataset ? ` on ${args.dataset}` : ' on the data set';
  return args.units.map((unit, i) => {
    const best = args.best ? args.best[i] : null;
    const flat = spread[i] < 1e-3 * (hi - lo);
    const weak = best == null || !(best > 0) || acts[i] / best < 0.1;
    const d: BlankDiagnosis = { unit, causes: [], messages: [] };
    if (!flat && !weak) return d;
    const add = (c: BlankCause, m: string) => {
      d.causes.push(c);
      d.messages.push(m);
    };
    const peak = args.peak ? args.peak[i] : null;
    if (best != null && best <= 0 && peak != null && peak > 0) {
      add(
        'local',
        `unit ${unit} fires only in places${where}: its mean over the map is at best ${best.toPrecision(3)} ≤ 0, while its peak reaches ${peak.toPrecision(3)} — maximize one neuron instead (--neuron center)`,
      );
    } else if (best != null && best <= 0) {
      add(
        'dead',
        `unit ${unit} is dead${where}: its best activation there is ${best.toPrecision(3)} ≤ 0, so no natural input turns it on — there is nothing to visualize`,
      );
    }
    if (grad[i] === 0) {
      add(
        'zero-gradient',
        leakyGrad[i] > 0
          ? `the gradient at the start was zero (every ReLU path to unit ${unit} is off there); the leaky-ReLU warm-up gets it going: --warmup 16 (maco), or --pre yes`
          : `the gradient at the start was zero even through leaky ReLUs (unit ${unit} does not depend on the input there); start elsewhere, e.g. --method data-driven`,
      );
    }
    if (sigmoid && (acts[i] > 0.99 || acts[i] < 0.01))
      add(
        'sigmoid-saturated',
        `unit ${unit}'s sigmoid is saturated (${acts[i].toPrecision(3)}), where its gradient vanishes: optimize the pre-activation (--pre yes)`,
      );
    if (pinned[i] >= 0.5)
      add(
        'range-clipped',
        `${Math.round(100 * pinned[i])}% of the image is pinned at the ends of the input range ${lo}…${hi}: lower --lr, or check --input-range`,
      );
    if (flat)
      add(
        'flat',
        `the image is flat (its values spread ${spread[i].toPrecision(2)}, under 0.1% of the range)`,
      );
    if (d.causes.length === 0 && best != null && best > 0)
      add(
        'weak',
        `unit ${unit} reached only ${((100 * acts[i]) / best).toFixed(1)}% of its best activation${where}: the steps were too few or too small for this model — more --steps or a larger --lr`,
      );
    return d;
  });
}
