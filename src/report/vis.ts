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
import { argsFor, runChunked } from '../methods/method.js';
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
  }>;
  /** Lucid and MaCo on a layer that has both, with data: each image's quality (metrics/quality.ts). */
  readonly quality?: Array<{
    unit: number;
    relativeActivation: number | null;
    plausibility: number | null;
    pathScore: number | null;
  }>;
}

/** The parameters a group's artifact depends on (its cache key parts, besides model and layer). */
export function visParams(
  kind: VisKind,
  settings: MethodSettings,
  group: UnitGroup,
): Record<string, unknown> {
  return { kind, ...settings[kind], units: group.units, seed: group.seed };
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
  const method = featureVisMethod(
    kind === 'diverse' ? 'lucid' : kind === 'center' ? CENTRE_METHOD : kind,
  );
  const result = runChunked(
    method,
    model,
    argsFor(method, req, kind === 'diverse' ? { 'per-unit': copies } : options, { model }),
  );
  const shape = model.input.shape;
  const box = neuron ? boxAt(receptiveFields(model, group.layer), neuron[0], neuron[1]) : undefined;
  const picture = (v: ArrayLike<number>) => {
    if (!box) return toImage(v, shape);
    const cut = crop(v, shape, box);
    return toImage(cut.values, cut.shape);
  };
  const scored = quality
    ? imageQuality(
        model,
        result.images,
        result.units.map((u) => u.unit),
        quality,
      )
    : null;
  const values = result.images.dataSync();
  result.dispose();
  const images: Record<string, RgbaImage> = {};
  const list: VisData['images'] = [];
  // Item order: copy-major (lucid's perUnit repeats the unit list), one copy otherwise.
  result.units.forEach((u, i) => {
    const copy = Math.floor(i / group.units.length);
    const name = copies > 1 ? `u${u.unit}-${copy}` : `u${u.unit}`;
    images[name] = picture(itemOf(values, i, shape));
    list.push({ unit: u.unit, copy, activation: u.activation, steps: u.steps, name });
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
