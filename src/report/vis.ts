/**
 * Feature visualizations for one group of units, through the registry's methods (never a copy of
 * them) with the plan's settings, Lucid (Olah et al. 2017) with a diversity term for the
 * "4 diverse images", and on a first layer the centre neuron's image (`center`: Erhan et al.
 * 2009's ascent on the middle neuron, cropped to its receptive field, as `maximize --neuron
 * center` draws it). Units with a fused monotonic activation are optimized at their
 * pre-activation, as `maximize --pre auto` does. Returns plain numbers and one image per unit (per
 * unit and copy for the diverse set), ready for the artifact store.
 */
import { boxAt, crop, receptiveFields, type Box } from '../analysis/receptive_field.js';
import { itemOf } from '../engine/read.js';
import { argsFor, runChunked, type VisRequest } from '../methods/method.js';
import { featureVisMethod } from '../methods/registry.js';
import { imageQuality } from '../metrics/quality.js';
import type { QualityReference } from '../metrics/quality_reference.js';
import { optimizedLayer } from '../model/layer_lookup.js';
import { centreNeuron } from '../objectives/neuron.js';
import type { VisModel } from '../model/types.js';
import { toImage, type RgbaImage } from '../render/image.js';
import { CENTRE_METHOD, type MethodSettings, type UnitGroup, type VisMethod } from './plan.js';

export type VisKind = VisMethod | 'diverse' | 'center';

export interface VisData {
  readonly method: VisKind;
  readonly layer: string;
  /** The layer the ascent climbed (its pre-activation for a fused ReLU). */
  readonly optimized: string;
  readonly objective: string;
  readonly params: Record<string, unknown>;
  readonly seconds: number;
  /** `center`: the neuron [x, y] optimized and the receptive-field box the images are cropped to. */
  readonly neuron?: readonly [number, number];
  readonly crop?: Box;
  /** Per image: which unit, its copy (diverse set), activation reached, steps. */
  readonly images: Array<{
    unit: number;
    copy: number;
    activation: number;
    steps: number;
    name: string;
    /** The diverse set: the diversity weight of the run that made the image (DIVERSE_ATTEMPTS). */
    diversity?: number;
  }>;
  /** Lucid and MaCo on a layer that has both, with data: each image's quality (metrics/quality.ts). */
  readonly quality?: Array<{
    unit: number;
    relativeActivation: number | null;
    plausibility: number | null;
    pathScore: number | null;
  }>;
}

/** One run of the diverse set: its diversity weight, and its steps as a multiple of the set's. */
export interface DiverseAttempt {
  readonly diversity: number;
  readonly steps: number;
}

/**
 * The runs the diverse set tries in turn. A unit whose images do not all reach a positive
 * activation (a positive share of what the unit can reach: at or below zero the image does not
 * show the unit) is run again with the next, with another seed; its images are replaced when more
 * of them are positive. The first is Lucid's weight (1) at the set's steps; then a lower weight
 * with twice the steps, then restarts alone (weight 0) with four times.
 */
export const DIVERSE_ATTEMPTS: readonly DiverseAttempt[] = [
  { diversity: 1, steps: 1 },
  { diversity: 0.25, steps: 2 },
  { diversity: 0, steps: 4 },
];

/** The parameters a group's artifact depends on (its cache key parts, besides model and layer). */
export function visParams(
  kind: VisKind,
  settings: MethodSettings,
  group: UnitGroup,
): Record<string, unknown> {
  return {
    kind,
    ...settings[kind],
    units: group.units,
    seed: group.seed,
    ...(kind === 'diverse' ? { attempts: DIVERSE_ATTEMPTS } : {}),
  };
}

export interface GroupRun {
  values: Float32Array;
  units: Array<{ unit: number; activation: number; steps: number; diversity?: number }>;
  objective: string;
  params: Record<string, unknown>;
  seconds: number;
}

/** One run of a registry method over the group's `units`, read back to plain numbers. */
function runGroup(
  model: VisModel,
  kind: VisKind,
  req: VisRequest,
  options: Record<string, number>,
  quality?: QualityReference,
): GroupRun & { scored: ReturnType<typeof imageQuality> | null } {
  const method = featureVisMethod(
    kind === 'diverse' ? 'lucid' : kind === 'center' ? CENTRE_METHOD : kind,
  );
  const result = runChunked(method, model, argsFor(method, req, options, { model }));
  try {
    const scored = quality
      ? imageQuality(
          model,
          result.images,
          result.units.map((u) => u.unit),
          quality,
        )
      : null;
    return {
      values: result.images.dataSync() as Float32Array,
      units: result.units.map((u) => ({ unit: u.unit, activation: u.activation, steps: u.steps })),
      objective: result.objective,
      params: result.params,
      seconds: result.seconds,
      scored,
    };
  } finally {
    result.dispose();
  }
}

/**
 * The diverse set (Lucid's per-unit images with a diversity term), retried at the lower
 * DIVERSE_ATTEMPTS for the units with an image at or below zero. Items copy-major, as Lucid's.
 */
function diverseSet(
  model: VisModel,
  req: { layer: string; units: readonly number[]; seed: number; steps: number },
  copies: number,
): GroupRun & { scored: null } {
  const made = retryDiverse(
    req.units,
    copies,
    model.input.shape.reduce((a, b) => a * b, 1),
    (units, attempt, k) =>
      runGroup(
        model,
        'diverse',
        { ...req, units, seed: req.seed + k, steps: req.steps * attempt.steps },
        { 'per-unit': copies, diversity: attempt.diversity },
      ),
  );
  return { ...made, scored: null };
}

/**
 * The retries of the diverse set: `run(units, attempt, k)` makes `copies` images of each unit with
 * the k-th attempt (copy-major, `size` values per image). Exposed for the test.
 */
export function retryDiverse(
  units: readonly number[],
  copies: number,
  size: number,
  run: (units: readonly number[], attempt: DiverseAttempt, k: number) => GroupRun,
  attempts: readonly DiverseAttempt[] = DIVERSE_ATTEMPTS,
): GroupRun {
  const n = units.length;
  const first = run(units, attempts[0], 0);
  const made: GroupRun = {
    values: first.values,
    objective: first.objective,
    seconds: first.seconds,
    params: { ...first.params, attempts },
    units: first.units.map((u) => ({ ...u, diversity: attempts[0].diversity })),
  };
  const positives = (acts: number[]) => acts.filter((a) => a > 0).length;
  const actsOf = (list: GroupRun['units'], count: number, i: number) =>
    Array.from({ length: copies }, (_, c) => list[c * count + i].activation);
  for (let k = 1; k < attempts.length; k++) {
    const failing = units
      .map((_, i) => i)
      .filter((i) => positives(actsOf(made.units, n, i)) < copies);
    if (failing.length === 0) break;
    const again = run(
      failing.map((i) => units[i]),
      attempts[k],
      k,
    );
    made.seconds += again.seconds;
    failing.forEach((i, f) => {
      const [old, now] = [actsOf(made.units, n, i), actsOf(again.units, failing.length, f)];
      const better =
        positives(now) > positives(old) ||
        (positives(now) === positives(old) && Math.min(...now) > Math.min(...old));
      if (!better) return;
      for (let c = 0; c < copies; c++) {
        const [to, from] = [c * n + i, c * failing.length + f];
        made.units[to] = { ...again.units[from], diversity: attempts[k].diversity };
        made.values.set(again.values.subarray(from * size, (from + 1) * size), to * size);
      }
    });
  }
  return made;
}

/** `quality`: the data set's reference for the group's units, to score the images (Lucid vs MaCo). */
export function computeVis(
  model: VisModel,
  kind: VisKind,
  settings: MethodSettings,
  group: UnitGroup,
  quality?: QualityReference,
): { data: VisData; images: Record<string, RgbaImage> } {
  const target = optimizedLayer((r) => model.layer(r), group.layer, 'auto');
  const { steps, ...options } = settings[kind];
  const neuron = kind === 'center' ? centreNeuron(model.layer(group.layer)) : undefined;
  const req = {
    layer: target.name,
    units: group.units,
    seed: group.seed,
    steps,
    ...(neuron ? { neuron } : {}),
  };
  // The diverse set is Lucid's per-unit images, the centre images Erhan's; every other kind is a registry method by name.
  const copies = kind === 'diverse' ? options.perUnit : 1;
  const { scored = null, ...result } =
    kind === 'diverse'
      ? diverseSet(model, req, copies)
      : runGroup(model, kind, req, options, quality);
  const shape = model.input.shape;
  const box = neuron ? boxAt(receptiveFields(model, group.layer), neuron[0], neuron[1]) : undefined;
  const picture = (v: ArrayLike<number>) => {
    if (!box) return toImage(v, shape);
    const cut = crop(v, shape, box);
    return toImage(cut.values, cut.shape);
  };
  const images: Record<string, RgbaImage> = {};
  const list: VisData['images'] = [];
  // Item order: copy-major (lucid's perUnit repeats the unit list), one copy otherwise.
  result.units.forEach((u, i) => {
    const copy = Math.floor(i / group.units.length);
    const name = copies > 1 ? `u${u.unit}-${copy}` : `u${u.unit}`;
    images[name] = picture(itemOf(result.values, i, shape));
    list.push({
      unit: u.unit,
      copy,
      activation: u.activation,
      steps: u.steps,
      name,
      ...(u.diversity != null ? { diversity: u.diversity } : {}),
    });
  });
  const q = scored?.map((x) => ({
    unit: x.unit,
    relativeActivation: x.relativeActivation,
    plausibility: x.plausibility,
    pathScore: x.pathScore,
  }));
  return {
    data: {
      method: kind,
      layer: group.layer,
      optimized: target.name,
      objective: result.objective,
      params: result.params,
      seconds: result.seconds,
      ...(neuron && box ? { neuron, crop: box } : {}),
      images: list,
      ...(q ? { quality: q } : {}),
    },
    images,
  };
}
