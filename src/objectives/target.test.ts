/**
 * The target vocabulary by hand, on a bias-free linear model of a 1×2 input: logits = x·W with
 * W = [[1, 2, 3], [4, 5, 6]], so x = (1, 0.5) gives logits (3, 4.5, 6). Each reading's score, its
 * gradient (what every gradient method explains) and Gradient × Input through `attribute` (which
 * on a bias-free linear reading splits the score exactly over the inputs).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../attribution/attribute.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import type { VisModel } from '../model/types.js';
import { setup } from '../../test/helpers.js';
import { parseReading, resolveTarget, targetScores, type TargetReading } from './target.js';

let model: VisModel;
let x: tf.Tensor4D;
before(async () => {
  await setup();
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [1, 2, 1], name: 'flat' }));
  m.add(tf.layers.dense({ units: 3, useBias: false, name: 'logits', kernelInitializer: 'zeros' }));
  m.getLayer('logits').setWeights([
    tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]),
  ]);
  model = fromLayersModel(m, { range: [0, 1] });
  x = tf.tensor4d([1, 0.5], [1, 1, 2, 1]);
});

const close = (a: ArrayLike<number>, b: number[], what: string) =>
  Array.from(a).forEach((v, i) =>
    assert.ok(
      Math.abs(v - b[i]) <= 1e-5 * (1 + Math.abs(b[i])),
      `${what}[${i}]: ${v}, expected ${b[i]}`,
    ),
  );

/** Score and input gradient of a reading on unit 1. */
function scoreAndGrad(reading: TargetReading): [number, number[]] {
  const t = resolveTarget(model, x, { units: [1], reading });
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((v: tf.Tensor) =>
      targetScores(model, v as tf.Tensor4D, t).sum(),
    )(x);
    return [value.dataSync()[0], Array.from(grad.dataSync())];
  });
}

describe('--target: one vocabulary, each reading worked out by hand', () => {
  it('logit, probability, sum, sum of chosen outputs, cosine: scores and gradients', () => {
    const cases: Array<[string, number, number[]]> = [
      // logit 1: 4.5, gradient W[:, 1].
      ['logit', 4.5, [2, 5]],
      // sum of every output: 13.5, gradient the row sums of W.
      ['sum', 13.5, [6, 15]],
      // sum of outputs 0 and 2: 3 + 6, gradient W[:, 0] + W[:, 2].
      ['sum:0,2', 9, [4, 10]],
    ];
    const e = [3, 4.5, 6].map(Math.exp);
    const p1 = e[1] / (e[0] + e[1] + e[2]);
    const p = e.map((v) => v / (e[0] + e[1] + e[2]));
    // ∂p1/∂z = p1 (δ − p); ∂z/∂x = W.
    const dz = p.map((pk, k) => p1 * ((k === 1 ? 1 : 0) - pk));
    cases.push([
      'probability',
      p1,
      [dz[0] * 1 + dz[1] * 2 + dz[2] * 3, dz[0] * 4 + dz[1] * 5 + dz[2] * 6],
    ]);
    // cosine to r = (1, 0, 0): z0 / |z| = 3 / √65.25; ∂/∂z = r/|z| − (z·r) z/|z|³.
    const z = [3, 4.5, 6];
    const nz = Math.hypot(...z);
    const dc = z.map((zk, k) => (k === 0 ? 1 : 0) / nz - (3 * zk) / nz ** 3);
    cases.push([
      'cosine:r',
      3 / nz,
      [dc[0] * 1 + dc[1] * 2 + dc[2] * 3, dc[0] * 4 + dc[1] * 5 + dc[2] * 6],
    ]);
    for (const [text, score, grad] of cases) {
      const [s, g] = scoreAndGrad(parseReading(text, () => [1, 0, 0]));
      close([s], [score], `${text} score`);
      close(g, grad, `${text} gradient`);
    }
  });

  it('reaches the library: Gradient × Input of sum:0,2 splits 9 into 4 and 5', () => {
    const a = attribute(model, x, {
      method: 'gradient-input',
      units: [1],
      reading: parseReading('sum:0,2'),
    });
    close(a.heat, [4, 5], 'heat');
    close(a.scores, [9], 'score');
  });

  it('a region of a dense (segmentation) output: the unit mean over the box', () => {
    // An identity "segmentation" head: a 1×1 conv with one channel, weight 2, on a 2×3 input.
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [2, 3, 1],
        filters: 1,
        kernelSize: 1,
        useBias: false,
        name: 'seg',
        kernelInitializer: tf.initializers.constant({ value: 2 }),
      }),
    );
    const seg = fromLayersModel(m, { range: [0, 1] });
    const img = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const t = resolveTarget(seg, img, { units: [0], reading: parseReading('region:0,1,2,3') });
    // Rows 0–1, columns 1–2: 2·(2 + 3 + 5 + 6) / 4 = 8; each of the four pixels gets ∂ = 2/4.
    const [s, g] = tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((v: tf.Tensor) =>
        targetScores(seg, v as tf.Tensor4D, t).sum(),
      )(img);
      return [value.dataSync()[0], Array.from(grad.dataSync())];
    });
    close([s], [8], 'region score');
    close(g, [0, 0.5, 0.5, 0, 0.5, 0.5], 'region gradient');
    assert.throws(
      () => resolveTarget(seg, img, { units: [0], reading: parseReading('region:0,0,3,1') }),
      /^DeepvisError: region 0,0,3,1 does not fit the 2×3 map of 'seg'$/,
    );
    img.dispose();
    seg.dispose();
  });

  it('bad targets are one line, before any work', () => {
    assert.throws(
      () => parseReading('sum:a'),
      /^DeepvisError: --target sum takes unit indices \(sum:3,5\); got 'sum:a'$/,
    );
    assert.throws(
      () => parseReading('region:1,2'),
      /^DeepvisError: --target region takes a box y0,x0,y1,x1; got 'region:1,2'$/,
    );
    assert.throws(
      () => parseReading('cosine:'),
      /^DeepvisError: --target cosine takes a reference/,
    );
    assert.throws(
      () => parseReading('softmax'),
      /^DeepvisError: unknown target 'softmax'; known: logit/,
    );
    assert.throws(
      () => resolveTarget(model, x, { reading: parseReading('sum:0,7') }),
      /^DeepvisError: unit 7 out of range for layer 'logits', which has 3 units \(0–2\)$/,
    );
    assert.throws(
      () => resolveTarget(model, x, { reading: parseReading('cosine:r', () => [1, 0]) }),
      /^DeepvisError: the reference embedding has 2 values; 'logits' has 3$/,
    );
    assert.throws(
      () => resolveTarget(model, x, { layer: 'flat', reading: parseReading('region:0,0,1,1') }),
      /^DeepvisError: a region target needs a spatial layer; 'flat' is flat$/,
    );
  });
});
