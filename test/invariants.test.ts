/**
 * One table of invariants over every optimization method and every attribution (as Captum's
 * test_config does), on one small CNN (and a small ViT for the methods a CNN cannot serve):
 *   - no leaked tensor, after success and after a throw mid-run (MaCo's throw lands inside its
 *     leaky-ReLU warm-up, so the swapped rules must come back);
 *   - backward rules and the adapter's layer patch restored after a throw (the next call gives
 *     the same result as before it), the tape released;
 *   - the same map for an image whatever batch it is computed in (attributions; the noise-averaging
 *     ones draw their noise for the whole batch, the stated exception), occlusion at any chunk size;
 *   - a unit out of range is one line naming the unit and the layer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../src/data/dataset.js';
import { DeepvisError } from '../src/errors.js';
import { attribute } from '../src/attribution/attribute.js';
import { ATTRIBUTIONS } from '../src/attribution/registry.js';
import { unfit } from '../src/attribution/method.js';
import { loadModel } from '../src/io/model_files.js';
import { occlusion } from '../src/analysis/occlusion.js';
import { dreamPhoto } from '../src/methods/dream.js';
import { dreamUnits } from '../src/methods/dream_units.js';
import { invert } from '../src/methods/invert.js';
import { argsFor, runChunked } from '../src/methods/method.js';
import { FEATURE_VIS } from '../src/methods/registry.js';
import { pickOptions } from '../src/options.js';
import type { VisModel } from '../src/model/types.js';
import { deepDream } from '../src/objectives/layer.js';
import type { StepInfo } from '../src/optimize/loop.js';
import { smallCnn } from './fixtures/small_cnn.js';
import { noLeaks, setup, values } from './helpers.js';
import { tapeState } from '../src/engine/internals.js';

let model: VisModel;
before(async () => {
  await setup('wasm');
  model = smallCnn(10, 3);
});

const data: ImageSet = {
  name: 'r',
  images: Float32Array.from(values(20 * 100, 5), (v) => (v + 1) / 2),
  labels: null,
  shape: [10, 10, 1],
  count: 20,
  classNames: null,
};
const photo = () =>
  tf.tensor3d(
    Float32Array.from(values(100, 7), (v) => (v + 1) / 2),
    [10, 10, 1],
  );
const stopAt = (n: number) => (info: StepInfo) => {
  if (info.step === n) throw new Error('stopped by the test');
};

/** Every method: a run on `units` of `layer` (onStep passed through), disposing what it returns. */
type Run = (units: number[], onStep?: (info: StepInfo) => void) => void;

/**
 * Every method of the registry (its quick options, with data and a start image at hand), then the
 * photo methods, which are not unit maximizations (DeepDream on a photo, inversion) and DeepDream
 * from noise.
 */
const METHODS: Record<string, { layer: string; run: Run }> = {
  ...Object.fromEntries(
    FEATURE_VIS.map((m) => [
      m.name,
      {
        layer: 'conv',
        run: (units: number[], onStep?: (info: StepInfo) => void) => {
          const image = tf.tidy(() => photo().expandDims(0) as tf.Tensor4D);
          try {
            runChunked(
              m,
              model,
              argsFor(m, { layer: 'conv', units, steps: 6, onStep }, m.quick ?? {}, {
                model,
                data,
                image,
              }),
            ).dispose();
          } finally {
            image.dispose();
          }
        },
      },
    ]),
  ),
  'dream-units': {
    layer: 'logits',
    run: (units, onStep) =>
      dreamUnits(model, { layer: 'logits', units, steps: 6, onStep }).dispose(),
  },
  invert: {
    layer: 'conv',
    run: (units, onStep) => {
      const p = photo();
      try {
        // Inversion has no units; the layer is what can be wrong.
        invert(model, p, {
          layer: units[0] === 99 ? 'nope' : 'conv',
          steps: 6,
          restarts: 2,
          onStep,
        }).images.dispose();
      } finally {
        p.dispose();
      }
    },
  },
  'dream-photo': {
    layer: 'conv',
    run: (units, onStep) => {
      const p = tf.tidy(() => tf.image.resizeBilinear(photo(), [14, 12], true));
      try {
        const layer = model.layer('conv');
        if (units[0] === 99) model.layer('nope');
        dreamPhoto(model, p, {
          objective: deepDream(layer),
          octaves: 2,
          stepsPerOctave: 4,
          onStep,
        }).image.dispose();
      } finally {
        p.dispose();
      }
    },
  },
};

function tape(): { depth: number; active: unknown } {
  const s = tapeState();
  // tfjs leaves activeTape undefined until the first gradient: released is null or undefined.
  return { depth: s.gradientDepth, active: s.activeTape ?? null };
}

/** The kernels whose backward rules engine/rules.ts swaps. */
const STOCK = ['Relu', 'Relu6', 'MaxPool'];

describe('invariants of every method', () => {
  for (const [name, m] of Object.entries(METHODS)) {
    it(`${name}: no leak after a run or a throw mid-run, rules restored, tape released; a bad unit is one line`, async () => {
      const stock = STOCK.map((k) => tf.getGradient(k));
      await noLeaks(() => m.run([0, 1]));
      await noLeaks(() => assert.throws(() => m.run([0, 1], stopAt(2)), /stopped by the test/));
      assert.deepEqual(
        STOCK.map((k) => tf.getGradient(k)),
        stock,
        'stock backward rules',
      );
      assert.deepEqual(tape(), { depth: 0, active: null });
      const bad = (() => {
        try {
          m.run([99]);
        } catch (e) {
          return e as Error;
        }
        return null;
      })();
      assert.ok(bad instanceof DeepvisError, `${name}: ${bad}`);
      assert.match(
        bad.message,
        /^(unit 99 out of range for layer '\w+', which has \d+ units \(0–\d+\)|unknown layer 'nope'; known: .*)$/,
      );
      assert.ok(!bad.message.includes('\n'));
    });
  }
});

/** A model whose activations throw from the `n`-th call on: a failure inside the gradient pass. */
function failing(base: VisModel, n: number): VisModel {
  let calls = 0;
  return {
    ...base,
    transformer: base.transformer,
    activations: (x, names, offset) => {
      if (++calls >= n) throw new Error('activations failed');
      return base.activations(x, names, offset);
    },
  };
}

describe('invariants of every attribution', () => {
  let cnnX: tf.Tensor4D;
  // Methods a CNN cannot serve (attention maps) run on a small ViT (4×4 patches and a class token).
  let vit: VisModel;
  let vitX: tf.Tensor4D;
  before(async () => {
    cnnX = tf.tensor4d(
      Float32Array.from(values(3 * 100, 9), (v) => (v + 1) / 2),
      [3, 10, 10, 1],
    );
    vit = await loadModel('test/fixtures/onnx/vit-mini-op17.onnx');
    vitX = tf.tensor4d(
      Float32Array.from(values(3 * 32 * 32 * 3, 11), (v) => (v + 1) / 2),
      [3, 32, 32, 3],
    );
  });
  after(() => vit?.dispose());
  const run = (
    m: VisModel,
    method: (typeof ATTRIBUTIONS)[number],
    images: tf.Tensor4D,
    units = [0, 1, 2],
  ) =>
    attribute(m, images, {
      method,
      units: units.length === images.shape[0] ? units : units.slice(0, images.shape[0]),
      options: pickOptions(method.options, { samples: 4, 'ig-steps': 4 }),
    });
  for (const method of ATTRIBUTIONS) {
    it(`${method.name}: no leak; rules and tape restored after a throw inside; one image alone = in a batch; a bad unit is one line`, async () => {
      const onVit = unfit(method, model) != null;
      const [m, x] = onVit ? [vit, vitX] : [model, cnnX];
      const logits = m.logitsLayer ?? 'logits';
      const units = m.layer(logits).units;
      const failingFrom = (n: number) => failing(m, n);
      const stock = STOCK.map((k) => tf.getGradient(k));
      const first = await noLeaks(() => run(m, method, x));
      await noLeaks(() =>
        assert.throws(() => run(failingFrom(2), method, x), /activations failed/),
      );
      assert.deepEqual(
        STOCK.map((k) => tf.getGradient(k)),
        stock,
        'stock backward rules',
      );
      assert.deepEqual(tape(), { depth: 0, active: null });
      const again = run(m, method, x);
      assert.deepEqual(
        Array.from(again.values),
        Array.from(first.values),
        'the same map after the throw',
      );
      // Methods that draw noise for the whole batch at once are the stated exception.
      if (!method.stochastic) {
        for (const i of [0, 2]) {
          const alone = tf.tidy(() => x.slice([i], [1]));
          const one = run(m, method, alone, [i]);
          alone.dispose();
          const size = x.size / x.shape[0];
          const inBatch = first.values.subarray(i * size, (i + 1) * size);
          one.values.forEach((v, p) =>
            assert.ok(
              Math.abs(v - inBatch[p]) <= 1e-5 * (1 + Math.abs(v)),
              `image ${i} pixel ${p}: ${v} alone, ${inBatch[p]} in the batch`,
            ),
          );
        }
      }
      assert.throws(
        () => run(m, method, x, [99]),
        new RegExp(
          `^DeepvisError: unit 99 out of range for layer '${logits}', which has ${units} units \\(0–${units - 1}\\)$`,
        ),
      );
    });
  }

  it("the adapter's layer patch (Grad-CAM's offset) is undone after a throw inside it", () => {
    const before = tf.tidy(() => Array.from(model.activations(cnnX, ['logits'])[0].dataSync()));
    const wrong = tf.zeros([1, 2, 2, 1]);
    assert.throws(
      () => model.activations(cnnX, ['logits'], { layer: 'conv', delta: wrong }),
      /offset of shape \[1, 2, 2, 1\] does not fit layer 'conv'/,
    );
    wrong.dispose();
    assert.deepEqual(
      tf.tidy(() => Array.from(model.activations(cnnX, ['logits'])[0].dataSync())),
      before,
    );
  });

  it('occlusion gives the same map at any chunk size', () => {
    const img = tf.tidy(() => cnnX.slice([1], [1]));
    const maps = [1, 7, 128].map(
      (batchSize) => occlusion(model, img, { size: 3, stride: 2, batchSize }).drops,
    );
    img.dispose();
    assert.deepEqual(maps[1], maps[0]);
    assert.deepEqual(maps[2], maps[0]);
  });
});
