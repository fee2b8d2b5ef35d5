/**
 * deepvis attribute --model M --input IMAGES --method METHOD[,…]|all --out DIR
 * Attribution maps for one or many inputs (files, DATASET:INDEX, DATASET:FROM-TO) with any method
 * of the registry (attribution/registry.ts: its flags, its help under `--method NAME --help`): one
 * row per image, the input then one column per method. Heat maps are drawn hot over a dimmed
 * input, signed ones on a blue–white–red scale, and pixel maps (guided backprop, deconvnet, guided
 * Grad-CAM) as the signed pixel map they are (mid-grey = 0). JSON: every map's target, score and
 * the raw heat.
 */
import { attribute, type Attribution } from '../../attribution/attribute.js';
import { unfit, type AnyAttribution } from '../../attribution/method.js';
import type { VisModel } from '../../model/types.js';
import { ATTRIBUTIONS } from '../../attribution/registry.js';
import { itemOf } from '../../engine/read.js';
import { DeepvisError } from '../../errors.js';
import { checkOptions } from '../../options.js';
import { grid } from '../../render/grid.js';
import { heatImage, heatOverlay } from '../../render/heat.js';
import { toImage, type RgbaImage } from '../../render/image.js';
import { required, type Flags, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, MODEL_FLAGS, openModelCommand } from '../command.js';
import { imagesFrom, inputFitJson } from '../inputs.js';
import { DEFAULT_CAM_RULE } from '../../attribution/cam.js';
import { checkBatchMemory } from '../limits.js';
import {
  checkMethodFlags,
  methodFlags,
  methodHelp,
  methodIn,
  optionsOf,
  type MethodRow,
} from '../method_flags.js';
import { TARGET_FLAGS, targetFrom } from './occlusion.js';
import { featureMaskFrom, READING_FLAGS, readingFrom } from '../target.js';
import { targetLayer } from '../../objectives/target.js';

const COMMON = {
  ...MODEL_FLAGS,
  input: {
    type: 'string',
    help: 'images: files or DATASET:INDEX or DATASET:FROM-TO, comma-separated',
  },
  method: {
    type: 'string',
    help: "one or more methods, comma-separated, or 'all' (a method's options: --method NAME --help)",
    default: 'all',
  },
  ...TARGET_FLAGS,
  ...READING_FLAGS,
  'cam-layer': {
    type: 'string',
    help: 'the layer a CAM reads (default: the last spatial layer before the target)',
  },
  'feature-mask': {
    type: 'string',
    help: 'a PNG of the input size whose grey levels label the features of lime, kernel-shap and ablation (default: SLIC superpixels)',
  },
  'max-batch': {
    type: 'int',
    min: 1,
    help: 'rows per pass for methods that expand an input (default: what fits the memory budget; same maps at any value)',
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;

export const rowOf = (m: AnyAttribution): MethodRow => ({
  name: m.name,
  options: m.options,
  about: `${m.summary} (${m.paper})`,
});
const ROWS = ATTRIBUTIONS.map(rowOf);
const SPECS: FlagSpecs = { ...COMMON, ...methodFlags(ROWS, COMMON) };
export const help = (argv: string[] = []) =>
  methodHelp(
    'attribute',
    `--model M --input IMAGES [--method ${ATTRIBUTIONS.map((m) => m.name).join(',')}|all] --out DIR`,
    COMMON,
    ROWS,
    methodIn(argv),
  );

function tile(a: Attribution, method: AnyAttribution, i: number, base: RgbaImage): RgbaImage {
  const [, h, w, c] = a.shape;
  const heat = a.heat.subarray(i * h * w, (i + 1) * h * w);
  if (method.display === 'pixels')
    return toImage(itemOf(a.values, i, [h, w, c]), [h, w, c], {
      mode: 'symmetric',
      percentile: 99.5,
    });
  if (a.signed) return heatImage(heat, h, w, { signed: true });
  return heatOverlay(base, heat);
}

/**
 * The methods that can explain `model`: with `all`, the others are left out with a note each
 * ("skipped gradcam, scorecam: they need a convolutional layer; this model has none"); a named
 * method that cannot is one line ("gradcam need a convolutional layer; …"), before any work.
 */
export function fitFor(
  model: VisModel,
  methods: readonly AnyAttribution[],
  all: boolean,
): { methods: AnyAttribution[]; notes: string[]; skipped: Array<{ method: string; why: string }> } {
  const why = new Map<string, string[]>();
  const fit = methods.filter((m) => {
    const reason = unfit(m, model);
    if (reason) why.set(reason, [...(why.get(reason) ?? []), m.name]);
    return !reason;
  });
  if (!all && why.size)
    throw new DeepvisError(
      [...why].map(([reason, names]) => `${names.join(', ')} ${reason}`).join('; '),
    );
  return {
    methods: fit,
    notes: [...why].map(([reason, names]) => `skipped ${names.join(', ')}: they ${reason}`),
    skipped: [...why].flatMap(([reason, names]) =>
      names.map((method) => ({ method, why: reason })),
    ),
  };
}

/** --method as a checked list of registry methods: 'all', or comma-separated names (an unknown one is a one-line error). */
export function methodsOf(value: string): AnyAttribution[] {
  if (value === 'all') return [...ATTRIBUTIONS];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      const m = ATTRIBUTIONS.find((x) => x.name === name);
      if (!m)
        throw new DeepvisError(
          `unknown method '${name}'; known: ${ATTRIBUTIONS.map((x) => x.name).join(', ')}, all`,
        );
      return m;
    });
}

export async function run(argv: string[]): Promise<void> {
  const opened = await openModelCommand(argv, SPECS, (f, given) =>
    checkMethodFlags(given, methodsOf(String(f.method)).map(rowOf), ROWS),
  );
  const { output, engine, model } = opened;
  const flags = opened.flags as unknown as Flags<typeof COMMON>;
  const { methods, notes, skipped } = fitFor(
    model,
    methodsOf(flags.method),
    flags.method === 'all',
  );
  for (const n of notes) console.log(n);
  const input = await imagesFrom(required(flags, 'input'), model);
  const spec = targetFrom(flags, model);
  const target = {
    ...spec,
    reading: await readingFrom(flags.target, model, targetLayer(model, spec).name),
  };
  // A sum or a cosine target reads no one unit: the tiles say so instead of naming the predicted class.
  const unitFree =
    target.reading.kind === 'sum' ? 'sum' : target.reading.kind === 'cosine' ? 'cos' : undefined;
  const featureMask = flags['feature-mask']
    ? await featureMaskFrom(flags['feature-mask'], model)
    : undefined;
  // Methods that expand an input put every image's copies in one batch.
  const n0 = input.images.shape[0];
  for (const m of methods) {
    const x = m.expands?.(checkOptions(m.options, optionsOf(m, opened.flags)));
    if (x)
      checkBatchMemory(model, n0 * x.rows, {
        what: `${n0} images × ${x.rows} ${x.what}`,
        hint: `fewer ${x.lower} or images`,
      });
  }
  const [n, h, w, c] = input.images.shape;
  const pixels = input.images.dataSync();
  const bases = input.names.map((_, i) =>
    toImage(itemOf(pixels, i, [h, w, c]), [h, w, c], { mode: 'range', range: model.input.range }),
  );
  const results = methods.map((method) =>
    attribute(model, input.images, {
      method,
      ...target,
      camLayer: flags['cam-layer'],
      maxBatch: flags['max-batch'],
      seed: flags.seed,
      featureMask,
      options: optionsOf(method, opened.flags),
    }),
  );
  input.images.dispose();
  const camLayers = [
    ...new Set(results.map((r) => r.camLayer).filter((l): l is string => l != null)),
  ];
  if (camLayers.length && !flags['cam-layer'])
    console.log(
      `CAM layer: ${camLayers.join(', ')} (${DEFAULT_CAM_RULE}; --cam-layer chooses another)`,
    );
  const tiles: RgbaImage[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    tiles.push(bases[i]);
    labels.push(input.names[i]);
    for (const [k, r] of results.entries()) {
      tiles.push(tile(r, methods[k], i, bases[i]));
      labels.push(`${methods[k].short} ${unitFree ?? model.labels?.[r.units[i]] ?? r.units[i]}`);
    }
  }
  const layer = results[0].layer;
  const stem = `attribute-${flags.method === 'all' ? 'all' : methods.map((m) => m.name).join('+')}`;
  await output.png(
    `${stem}.png`,
    grid(tiles, {
      cols: methods.length + 1,
      labels,
      minTile: 84,
      title: `attribution of ${layer} (label: method, ${unitFree ? `target ${flags.target}` : 'unit'})`,
    }),
  );
  await output.json(`${stem}.json`, {
    model: flags.model,
    backend: engine.backend,
    images: input.names,
    imageLabels: input.labels,
    ...inputFitJson(),
    skipped,
    maps: results.map((r) => ({
      method: r.method,
      layer: r.layer,
      units: r.units,
      // The whole class names (a tile's label wraps or abbreviates them).
      classes: r.units.map((u) => (unitFree ? null : (model.labels?.[u] ?? null))),
      neurons: r.neurons ?? null,
      scores: r.scores,
      camLayer: r.camLayer ?? null,
      camLayerFrom: r.camLayer
        ? flags['cam-layer']
          ? '--cam-layer'
          : `default: ${DEFAULT_CAM_RULE}`
        : null,
      seconds: r.seconds,
      heatShape: [n, h, w],
      heat: Array.from(r.heat, (v) => +v.toPrecision(5)),
    })),
  });
  await output.commit();
  console.log(
    `wrote ${output.final(stem)}.png and ${stem}.json (${results.map((r) => `${r.method} ${r.seconds.toFixed(2)}s`).join(', ')})`,
  );
  model.dispose();
}
