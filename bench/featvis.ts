/**
 * Issue 5's figures: ms per optimization step of each method with 64 units in one batch (MNIST
 * CNN conv3, and the 64×64 RGB model's b_conv5), and the maximising-images paper's data-driven method against pure
 * optimization from a blank image on a freshly trained MNIST MLP (steps and seconds to 90% of the
 * final activation, median over the layer's unimodal units).
 */
import * as tf from '@tensorflow/tfjs';
import { specificity } from '../src/analysis/specificity.js';
import { loadDataSplit } from '../src/data/load.js';
import { compareWithBlank, estimateSteps } from '../src/methods/data_driven.js';
import { erhan } from '../src/methods/erhan.js';
import { lucid } from '../src/methods/lucid.js';
import { yosinski, YOSINSKI_PRESETS } from '../src/methods/yosinski.js';
import { fromLayersModel } from '../src/model/layers_adapter.js';
import type { VisModel } from '../src/model/types.js';
import { buildClassifier } from '../src/train/architectures.js';
import { fitClassifier } from '../src/train/fit.js';
import { modelB } from './models.js';
import type { Measure } from './workloads.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ms/step after 3 warm-up steps. */
function perStep(run: (onStep: (i: { step: number }) => void) => { images: tf.Tensor }): number {
  const times: number[] = [];
  let t = performance.now();
  const r = run(({ step }) => {
    const now = performance.now();
    if (step >= 3) times.push(now - t);
    t = now;
  });
  r.images.dispose();
  return median(times);
}

function methodSteps(
  model: VisModel,
  layer: string,
  n: number,
  steps = 15,
): Record<string, number> {
  const units = Array.from({ length: n }, (_, i) => i);
  return {
    erhan: perStep((onStep) =>
      erhan(model, {
        layer,
        units,
        restarts: 1,
        steps,
        onStep,
        convergence: { window: 1000, tol: 0 },
      }),
    ),
    yosinski: perStep((onStep) =>
      yosinski(model, { layer, units, steps, sets: [YOSINSKI_PRESETS[3]], onStep }),
    ),
    lucid: perStep((onStep) => lucid(model, { layer, units, steps, onStep })),
  };
}

export function featvisSteps(): Record<string, Measure> {
  const cnn = buildClassifier('cnn', [28, 28, 1], 10, 0);
  const a = methodSteps(fromLayersModel(cnn), 'conv3', 64);
  cnn.dispose();
  const rgb = modelB();
  const b = methodSteps(fromLayersModel(rgb, { range: [0, 1] }), 'b_conv5', 64, 8);
  rgb.dispose();
  const out: Record<string, Measure> = {};
  for (const [k, v] of Object.entries(a))
    out[`mnist_cnn_conv3_64units_${k}`] = { value: v, unit: 'ms/step' };
  for (const [k, v] of Object.entries(b))
    out[`rgb64_b_conv5_64units_${k}`] = { value: v, unit: 'ms/step' };
  return out;
}

export async function dataDrivenSpeed(): Promise<Measure> {
  const { train, test } = await loadDataSplit('mnist');
  const m = buildClassifier('mlp', [28, 28, 1], 10, 0);
  await fitClassifier(m, train, test, 10, { epochs: 2, seed: 0 });
  const model = fromLayersModel(m, { range: [0, 1] });
  const layer = 'dense1:pre';
  const uni = specificity(model, test, 'dense1')
    .units.filter((u) => u.modality === 'unimodal')
    .map((u) => u.unit)
    .slice(0, 32);
  const est = estimateSteps(model, { layer, units: uni, data: test, maxSteps: 300 });
  const cmp = compareWithBlank(model, {
    layer,
    units: uni,
    data: test,
    steps: est.steps,
    blankSteps: 40 * est.steps,
  });
  m.dispose();
  const reached = cmp.filter((c) => c.dataDriven.steps != null);
  const ratios = reached.map((c) =>
    c.blank.steps == null
      ? Infinity
      : Math.max(1, c.blank.steps) / Math.max(1, c.dataDriven.steps!),
  );
  const timeRatios = reached.map((c) =>
    c.blank.seconds == null
      ? Infinity
      : Math.max(1e-6, c.blank.seconds) / Math.max(1e-6, c.dataDriven.seconds!),
  );
  return {
    value: median(ratios),
    unit: '× fewer steps than from a blank image (median over units)',
    median_time_ratio: median(timeRatios),
    units: uni.length,
    estimated_steps: est.steps,
    blank_never_reached: cmp.filter((c) => c.blank.steps == null).length,
    median_steps_data_driven: median(reached.map((c) => c.dataDriven.steps!)),
    median_steps_blank: median(cmp.map((c) => c.blank.steps ?? Infinity)),
    criterion: est.criterion,
  };
}
