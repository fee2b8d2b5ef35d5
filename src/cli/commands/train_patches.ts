/**
 * `deepvis train --arch rbm|dbn|sae|dae --data patches[:SIZE] [--photos DIR] [--patches N] --out DIR`:
 * Erhan et al. 2009's natural-image models. Whitened SIZE×SIZE patches (default 12) of the skimage
 * photographs or of the photos in DIR; rbm/dbn → Gaussian RBM first layer, sae/dae → Gaussian-input
 * denoising autoencoder (train/natural.ts holds the settings). No labels, so no fine-tuning. Writes
 * the model (view its filters with `deepvis filters`), zca.json (the whitening, to apply to new
 * patches) and metrics.json with the first layer's Gabor measure.
 */
import { naturalPatches } from '../../data/natural_patches.js';
import { zcaToJson } from '../../data/zca.js';
import { gaborSummary } from '../../analysis/orientation.js';
import { saveLayersModel } from '../../io/model_files.js';
import type { OutputSession } from '../../io/output.js';
import {
  NATURAL_DEFAULTS,
  naturalStackArgs,
  patchSet,
  type NaturalOverrides,
} from '../../train/natural.js';
import { trainStack } from '../../train/stack.js';
import { DeepvisError } from '../../errors.js';

export interface PatchRun {
  readonly arch: string;
  readonly spec: string;
  readonly photos?: string;
  readonly count?: number;
  readonly overrides: NaturalOverrides;
  readonly seed: number;
  readonly out: string;
  readonly output: OutputSession;
  readonly backend: string;
}

export const isPatchSpec = (spec: string): boolean => /^patches(:|$)/.test(spec);

export async function trainPatchesCommand(r: PatchRun): Promise<void> {
  const m = /^patches(?::(\d+))?$/.exec(r.spec);
  if (!m)
    throw new DeepvisError(
      `--data ${r.spec}: natural patches are patches or patches:SIZE, e.g. patches:12`,
    );
  const model =
    r.arch === 'rbm' || r.arch === 'dbn'
      ? 'grbm'
      : r.arch === 'sae' || r.arch === 'dae'
        ? 'gsdae'
        : null;
  if (!model)
    throw new DeepvisError(
      `--data ${r.spec} trains --arch rbm|dbn (Gaussian RBM) or sae|dae (Gaussian denoising autoencoder), not ${r.arch}`,
    );
  const size = m[1] ? Number(m[1]) : 12;
  console.log(
    `cutting ${(r.count ?? 100_000).toLocaleString('en')} ${size}×${size} patches from ${r.photos ?? 'the python3-skimage photographs'} and whitening them`,
  );
  const patches = await naturalPatches({ size, count: r.count, folder: r.photos, seed: r.seed });
  const set = patchSet(patches, NATURAL_DEFAULTS[model].rms);
  const args = naturalStackArgs(model, set, { ...r.overrides, seed: r.seed });
  console.log(
    `training ${r.arch} ${[size * size, ...args.layers].join('-')} (${model === 'grbm' ? 'Gaussian RBM' : 'Gaussian-input DAE'}) on ${patches.count} patches: ${args.pretrainEpochs} epochs per layer`,
  );
  const t0 = performance.now();
  const result = await trainStack(set, set, {
    ...args,
    onLayerEpoch: (e) =>
      console.log(
        `layer ${e.layer} epoch ${e.epoch}: ${model === 'grbm' ? 'reconstruction error' : 'loss'} ${e.value.toFixed(4)} | ${e.seconds.toFixed(1)}s`,
      ),
  });
  const wall = (performance.now() - t0) / 1000;
  const kernel = result.model.getLayer('h1').getWeights()[0];
  const [nv, nh] = kernel.shape as [number, number];
  const w = kernel.dataSync();
  const filters = Array.from({ length: nh }, (_, j) =>
    Float32Array.from({ length: nv }, (_, i) => w[i * nh + j]),
  );
  const g = gaborSummary(filters, size, size);
  await saveLayersModel(result.model, await r.output.folder(''), {
    ...result.metadata,
    arch: r.arch,
    dataset: r.spec,
  });
  await r.output.json('zca.json', {
    ...zcaToJson(patches.zca),
    note: 'x ↦ matrix·(x − mean) on mean-removed grey patches in [0, 1], row-major',
    modelInputScale: NATURAL_DEFAULTS[model].rms,
  });
  await r.output.json('metrics.json', {
    arch: r.arch,
    model,
    dataset: r.spec,
    patches: patches.args,
    sources: patches.sources,
    seed: r.seed,
    backend: r.backend,
    layers: args.layers,
    settings: { ...args, onLayerEpoch: undefined, inputRange: args.inputRange },
    pretrain: result.pretrain.map((values, i) => ({ layer: i + 1, values })),
    gabor: {
      fraction: g.gaborFraction,
      oriented: g.orientedFraction,
      localized: g.localizedFraction,
      thresholds: g.thresholds,
    },
    wallSeconds: wall,
  });
  await r.output.commit();
  console.log(
    `first layer: ${(100 * g.gaborFraction).toFixed(1)}% of ${nh} filters Gabor-like (oriented ${(100 * g.orientedFraction).toFixed(1)}%, localized ${(100 * g.localizedFraction).toFixed(1)}%) in ${wall.toFixed(1)}s; saved to ${r.out} (deepvis filters --model ${r.out} --out DIR)`,
  );
  result.model.dispose();
}
