/**
 * Quality scores of optimized images and the blank diagnosis, on small models built here:
 * relative activation is 1 for the best data-set example itself; the path check scores a unit's
 * own (held-out) top examples above random natural images; plausibility prefers them to noise;
 * identical images have no diversity; the blank diagnosis names a dead unit and a zero-gradient
 * start (and does not when the start has a gradient); nothing leaks.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { imagesTensor, subset, type ImageSet } from '../data/dataset.js';
import { Rng } from '../engine/rng.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { diagnoseBlank } from './blank.js';
import { imageQuality, meanQuality } from './quality.js';
import { qualityReference } from './quality_reference.js';
import { smallCnn } from '../../test/fixtures/small_cnn.js';
import { noLeaks, setup } from '../../test/helpers.js';

before(() => setup('wasm'));

/** Bars on noise: even images horizontal, odd vertical, at random rows/columns. */
function bars(n: number, side = 12): ImageSet {
  const rng = new Rng(4);
  const images = new Float32Array(n * side * side);
  for (let i = 0; i < n; i++) {
    const at = 2 + rng.int(side - 4);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const on = i % 2 === 0 ? Math.abs(y - at) <= 1 : Math.abs(x - at) <= 1;
        images[i * side * side + y * side + x] = Math.min(1, (on ? 0.8 : 0.1) + 0.2 * rng.next());
      }
    }
  }
  return { name: 'bars', images, labels: null, shape: [side, side, 1], count: n, classNames: null };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('quality scores', () => {
  it('relative activation is 1 for the best data-set example itself', async () => {
    const model = smallCnn(12, 8, 3);
    const data = bars(40);
    await noLeaks(() => {
      const ref = qualityReference(model, data, 'logits', [0, 1, 2]);
      const x = imagesTensor(
        data,
        ref.top.map((t) => t[0]),
      );
      const q = imageQuality(model, x, [0, 1, 2], ref);
      x.dispose();
      q.forEach((s, u) => {
        if (ref.best[u] > 0)
          assert.ok(
            Math.abs(s.relativeActivation! - 1) < 1e-5,
            `unit ${u}: ${s.relativeActivation}`,
          );
        else
          assert.equal(
            s.relativeActivation,
            null,
            'a unit whose best is ≤ 0 has no relative activation',
          );
      });
      assert.ok(q.some((s) => s.relativeActivation != null));
      assert.deepEqual(ref.path, ['conv']);
    });
  });

  it("the path check scores a unit's own held-out top examples above random images, and plausibility prefers them to noise", async () => {
    const model = smallCnn(12, 8, 3);
    const all = bars(160);
    const half = (k: number) =>
      subset(
        all,
        Array.from({ length: 80 }, (_, i) => 80 * k + i),
      );
    const [refSet, heldOut] = [half(0), half(1)];
    await noLeaks(() => {
      const ref = qualityReference(model, refSet, 'logits', [0, 1, 2], {
        topK: 12,
        randomCount: 40,
      });
      const held = qualityReference(model, heldOut, 'logits', [0, 1, 2], { topK: 8 });
      const rng = new Rng(9);
      const randomIdx = Array.from({ length: 8 }, () => rng.int(heldOut.count));
      // Units that natural images turn on (the path check of a dead unit is null).
      const live = [0, 1, 2].filter((u) => ref.best[u] > 0);
      assert.ok(live.length >= 2, `live units ${live}`);
      for (const u of live) {
        const xt = imagesTensor(heldOut, held.top[u]);
        const xr = imagesTensor(heldOut, randomIdx);
        const noise = tf.randomUniform([8, 12, 12, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
        const qt = imageQuality(model, xt, new Array(8).fill(u), ref);
        const qr = imageQuality(model, xr, new Array(8).fill(u), ref);
        const qn = imageQuality(model, noise, new Array(8).fill(u), ref);
        const [t, r] = [mean(qt.map((q) => q.pathScore!)), mean(qr.map((q) => q.pathScore!))];
        assert.ok(
          t > r + 0.2,
          `unit ${u}: path score of its top examples ${t.toFixed(3)} vs random images ${r.toFixed(3)}`,
        );
        assert.ok(
          meanQuality(qt).plausibility! < meanQuality(qn).plausibility!,
          `unit ${u}: plausibility of top examples vs noise`,
        );
        for (const x of [xt, xr, noise]) x.dispose();
      }
    });
  });

  it('identical images of a unit have diversity 0, different ones more', async () => {
    const model = smallCnn(12, 8, 3);
    const data = bars(20);
    await noLeaks(() => {
      const ref = qualityReference(model, data, 'logits', [1]);
      const same = imagesTensor(data, [0, 0]);
      const diff = imagesTensor(data, [0, 1]);
      assert.ok(Math.abs(imageQuality(model, same, [1, 1], ref)[0].diversity!) < 1e-6);
      assert.ok(imageQuality(model, diff, [1, 1], ref)[0].diversity! > 1e-3);
      same.dispose();
      diff.dispose();
    });
  });
});

describe('blank diagnosis', () => {
  /** 4×4 input → h: dense 2 ReLU (unit 0 = Σx − 2: off at a black start, on for bright data; unit 1 = −Σx − 1: always off) → out = h0 + h1/2. */
  function twoLayer() {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1], name: 'flat' }));
    const k = new Float32Array(32);
    for (let i = 0; i < 16; i++) {
      k[2 * i] = 1;
      k[2 * i + 1] = -1;
    }
    m.add(
      tf.layers.dense({
        units: 2,
        activation: 'relu',
        name: 'h',
        weights: [tf.tensor2d(k, [16, 2]), tf.tensor1d([-2, -1])],
      }),
    );
    m.add(
      tf.layers.dense({
        units: 1,
        name: 'out',
        weights: [tf.tensor2d([1, 0.5], [2, 1]), tf.zeros([1])],
      }),
    );
    return fromLayersModel(m, { range: [0, 1] });
  }

  it('names a dead unit', async () => {
    const model = twoLayer();
    await noLeaks(() => {
      // Values 0.3…0.7 (not flat), started from grey (gradient flows into unit 0).
      const img = tf.tensor4d(
        Array.from({ length: 32 }, (_, i) => 0.3 + (0.4 * ((i * 7) % 16)) / 15),
        [2, 4, 4, 1],
      );
      const grey = tf.fill([1, 4, 4, 1], 0.5) as tf.Tensor4D;
      // Best activations as datasetMax gives them on bright data: unit 0 reaches 14, unit 1 stays at 0.
      const d = diagnoseBlank(model, img, {
        layer: 'h',
        units: [0, 1],
        best: [14, 0],
        dataset: 'bright',
        start: grey,
      });
      img.dispose();
      grey.dispose();
      assert.deepEqual(d[0].causes, [], 'unit 0 is fine (activation 6 of 14)');
      assert.ok(
        d[1].causes.includes('dead') && /dead on bright/.test(d[1].messages[0]),
        JSON.stringify(d[1]),
      );
    });
  });

  it('tells a channel that fires only in places from a dead one', async () => {
    // A 1×1 conv, pre-activation x − 0.5, on 4×4 images with a single lit pixel: the map's mean is
    // (0.5 − 15·0.5)/16 = −0.4375 on every image, its peak 0.5; a second channel, −x − 0.5, never fires.
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [4, 4, 1],
        filters: 2,
        kernelSize: 1,
        name: 'c',
        weights: [tf.tensor4d([1, -1], [1, 1, 1, 2]), tf.tensor1d([-0.5, -0.5])],
      }),
    );
    m.add(tf.layers.flatten({ name: 'flat' }));
    const model = fromLayersModel(m, { range: [0, 1] });
    const images = new Float32Array(6 * 16);
    for (let i = 0; i < 6; i++) images[i * 16 + ((i * 5) % 16)] = 1;
    const data: ImageSet = {
      name: 'dots',
      images,
      labels: null,
      shape: [4, 4, 1],
      count: 6,
      classNames: null,
    };
    await noLeaks(() => {
      const ref = qualityReference(model, data, 'c', [0, 1], { topK: 2, randomCount: 4 });
      assert.ok(
        Math.abs(ref.best[0] + 0.4375) < 1e-6 && Math.abs(ref.peak[0] - 0.5) < 1e-6,
        `${ref.best} ${ref.peak}`,
      );
      assert.ok(
        Math.abs(ref.peak[1] + 0.5) < 1e-6,
        'the second channel peaks at −0.5 (an unlit pixel)',
      );
      const img = tf.fill([2, 4, 4, 1], 0.5) as tf.Tensor4D;
      const d = diagnoseBlank(model, img, {
        layer: 'c',
        units: [0, 1],
        best: ref.best,
        peak: ref.peak,
        dataset: 'dots',
      });
      img.dispose();
      assert.deepEqual(d[0].causes.slice(0, 1), ['local'], JSON.stringify(d[0]));
      assert.match(d[0].messages[0], /fires only in places on dots.*--neuron center/);
      assert.ok(d[1].causes.includes('dead'), JSON.stringify(d[1]));
    });
  });

  it('names a zero-gradient start that the user sets up, and offers the leaky warm-up', async () => {
    const model = twoLayer();
    await noLeaks(() => {
      const flat = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
      const black = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
      const grey = tf.fill([1, 4, 4, 1], 0.5) as tf.Tensor4D;
      const atBlack = diagnoseBlank(model, flat, {
        layer: 'out',
        units: [0],
        best: [14],
        start: black,
      });
      assert.ok(atBlack[0].causes.includes('zero-gradient'), JSON.stringify(atBlack));
      assert.match(atBlack[0].messages.join(' '), /gradient at the start was zero.*--warmup/);
      assert.ok(atBlack[0].causes.includes('flat'));
      const atGrey = diagnoseBlank(model, flat, {
        layer: 'out',
        units: [0],
        best: [14],
        start: grey,
      });
      assert.ok(
        !atGrey[0].causes.includes('zero-gradient'),
        'from grey, unit 0 of h is on and the gradient flows',
      );
      for (const t of [flat, black, grey]) t.dispose();
    });
  });

  it('says a unit that moved but stayed weak needs more or larger steps', async () => {
    const model = twoLayer();
    await noLeaks(() => {
      // Not flat, not clipped, gradient flows from grey, but h0 reaches well under 10% of 140.
      const img = tf.tensor4d(
        Array.from({ length: 16 }, (_, i) => 0.3 + (0.4 * ((i * 7) % 16)) / 15),
        [1, 4, 4, 1],
      );
      const grey = tf.fill([1, 4, 4, 1], 0.5) as tf.Tensor4D;
      const d = diagnoseBlank(model, img, { layer: 'h', units: [0], best: [140], start: grey });
      assert.deepEqual(d[0].causes, ['weak'], JSON.stringify(d));
      assert.match(d[0].messages[0], /reached only \d+\.\d% of its best activation.*--steps.*--lr/);
      tf.dispose([img, grey]);
    });
  });
});
