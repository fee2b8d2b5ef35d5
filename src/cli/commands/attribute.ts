/**
 * deepvis attribute --model M --input IMAGES --method METHOD[,…]|all --out DIR
 * Gradient maps for one or many inputs (files, DATASET:INDEX, DATASET:FROM-TO): one row per image,
 * the input then one column per method. Heat maps (saliency, SmoothGrad, Grad-CAM) are drawn hot
 * over a dimmed input; guided backprop, deconvnet and guided Grad-CAM as the signed pixel map they
 * are (mid-grey = 0); integrated gradients on a blue–white–red scale. JSON: every map's target,
 * score and the raw heat.
 */
import { ATTRIBUTION_METHODS, attribute, type Attribution, type AttributionMethod } from '../../attribution/attribute.js';
import { INTEGRATED_GRADIENTS_DEFAULTS, SMOOTHGRAD_DEFAULTS } from '../../attribution/gradients.js';
import { itemOf } from '../../engine/read.js';
import { DeepvisError } from '../../errors.js';
import { grid } from '../../render/grid.js';
import { heatImage, heatOverlay } from '../../render/heat.js';
import { toImage, type RgbaImage } from '../../render/image.js';
import { positive, required, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, MODEL_FLAGS, openModelCommand } from '../command.js';
import { imagesFrom } from '../inputs.js';
import { checkBatchMemory } from '../limits.js';
import { TARGET_FLAGS, targetFrom } from './occlusion.js';

const SPECS = {
  ...MODEL_FLAGS,
  input: { type: 'string', help: 'images: files or DATASET:INDEX or DATASET:FROM-TO, comma-separated' },
  method: { type: 'string', help: `one or more of ${ATTRIBUTION_METHODS.join(', ')}, or 'all'`, default: 'all' },
  ...TARGET_FLAGS,
  'cam-layer': { type: 'string', help: 'Grad-CAM layer (default: the last spatial layer before the target)' },
  samples: { type: 'int', help: 'SmoothGrad: noisy copies per image', default: SMOOTHGRAD_DEFAULTS.samples },
  noise: { type: 'number', help: 'SmoothGrad: noise σ as a fraction of the input range', default: SMOOTHGRAD_DEFAULTS.noise },
  'ig-steps': { type: 'int', help: 'integrated gradients: points on the path (--steps is for optimization steps)', default: INTEGRATED_GRADIENTS_DEFAULTS.steps },
  baseline: { type: 'number', help: "integrated gradients: baseline pixel value (default: the range's low end)" },
  unpool: { type: 'string', help: 'deconvnet unpooling', choices: ['switches', 'nearest'], default: 'switches' },
  'max-batch': { type: 'int', help: 'rows per pass for IG, SmoothGrad, Score-CAM, occlusion (default: what fits the memory budget; same maps at any value)' },
  out: { type: 'string', help: 'output directory' },
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('attribute', '--model M --input IMAGES [--method all] --out DIR', SPECS);

const SHORT: Record<AttributionMethod, string> = {
  saliency: 'saliency', guided: 'guided', deconvnet: 'deconv', smoothgrad: 'smooth', 'integrated-gradients': 'IG', gradcam: 'gradcam', 'guided-gradcam': 'g-cam',
  'gradcam++': 'gcam++', scorecam: 'scorecam', layercam: 'layercam', 'gradient-input': 'g×x', smoothgrad2: 'smooth2', vargrad: 'vargrad', occlusion: 'occl',
};

function tile(a: Attribution, i: number, base: RgbaImage): RgbaImage {
  const [, h, w, c] = a.shape;
  const heat = a.heat.subarray(i * h * w, (i + 1) * h * w);
  if (a.method === 'guided' || a.method === 'deconvnet' || a.method === 'guided-gradcam') {
    return toImage(itemOf(a.values, i, [h, w, c]), [h, w, c], { mode: 'symmetric', percentile: 99.5 });
  }
  if (a.signed) return heatImage(heat, h, w, { signed: true });
  return heatOverlay(base, heat);
}

const isMethod = (m: string): m is AttributionMethod => (ATTRIBUTION_METHODS as readonly string[]).includes(m);

/** --method as a checked list: 'all', or comma-separated names (an unknown one is a one-line error). */
function methodsOf(flags: { method: string }): AttributionMethod[] {
  if (flags.method === 'all') return [...ATTRIBUTION_METHODS];
  return flags.method.split(',').map((m) => {
    if (!isMethod(m)) throw new DeepvisError(`unknown method '${m}'; known: ${ATTRIBUTION_METHODS.join(', ')}, all`);
    return m;
  });
}

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    methodsOf(f);
    positive(f, 'samples', 'ig-steps', 'max-batch');
  });
  const methods = methodsOf(flags);
  const input = await imagesFrom(required(flags, 'input'), model);
  const target = targetFrom(flags, model);
  // SmoothGrad and integrated gradients put every image's copies in one batch.
  const n0 = input.images.shape[0];
  if (methods.includes('smoothgrad')) checkBatchMemory(model, n0 * flags.samples, { what: `${n0} images × ${flags.samples} SmoothGrad samples`, hint: 'fewer --samples or images' });
  if (methods.includes('integrated-gradients')) checkBatchMemory(model, n0 * flags['ig-steps'], { what: `${n0} images × ${flags['ig-steps']} path steps`, hint: 'fewer --ig-steps or images' });
  const [n, h, w, c] = input.images.shape;
  const pixels = input.images.dataSync();
  const bases = input.names.map((_, i) => toImage(itemOf(pixels, i, [h, w, c]), [h, w, c], { mode: 'range', range: model.input.range }));
  const results = methods.map((method) =>
    attribute(model, input.images, {
      method, ...target, camLayer: flags['cam-layer'], unpool: flags.unpool, maxBatch: flags['max-batch'],
      smoothGrad: { samples: flags.samples, noise: flags.noise, seed: flags.seed },
      integratedGradients: { steps: flags['ig-steps'], baseline: flags.baseline },
    }),
  );
  input.images.dispose();
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    tiles.push(bases[i]);
    labels.push(input.names[i]);
    for (const r of results) {
      tiles.push(tile(r, i, bases[i]));
      labels.push(`${SHORT[r.method]} ${model.labels?.[r.units[i]] ?? r.units[i]}`);
    }
  }
  const layer = results[0].layer;
  const stem = (`attribute-${methods.length === ATTRIBUTION_METHODS.length ? 'all' : methods.join('+')}`);
  await output.png(`${stem}.png`, grid(tiles, { cols: methods.length + 1, labels, minTile: 84, title: `attribution of ${layer} (label: method, unit)` }));
  await output.json(`${stem}.json`, {
    model: flags.model, backend: engine.backend, images: input.names, imageLabels: input.labels,
    maps: results.map((r) => ({ method: r.method, layer: r.layer, units: r.units, neurons: r.neurons ?? null, scores: r.scores, camLayer: r.camLayer ?? null, seconds: r.seconds, heatShape: [n, h, w], heat: Array.from(r.heat, (v) => +v.toPrecision(5)) })),
  });
  await output.commit();
  console.log(`wrote ${output.final(stem)}.png and ${stem}.json (${results.map((r) => `${r.method} ${r.seconds.toFixed(2)}s`).join(', ')})`);
  model.dispose();
}
