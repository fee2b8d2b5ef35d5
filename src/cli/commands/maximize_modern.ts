/**
 * maximize --method maco | accentuate: the runs and their extra files. MaCo writes, beside the
 * grid, the canvases with the transparency map as alpha (LAYER-maco-alpha.png) and the map alone
 * (LAYER-maco-transparency.png); accentuation writes seed | accentuated | difference as three rows
 * (LAYER-accentuate-triptych.png).
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../data/dataset.js';
import { itemOf, tidyData } from '../../engine/read.js';
import { DeepvisError } from '../../errors.js';
import type { OutputSession } from '../../io/output.js';
import { accentuate } from '../../methods/accentuate.js';
import type { MethodResult, UnitRequest } from '../../methods/recipe.js';
import { maco } from '../../methods/maco.js';
import { alphaOf, datasetSpectrum } from '../../methods/maco_parts.js';
import type { VisModel } from '../../model/types.js';
import { startGradient } from '../../metrics/blank.js';
import { neutral } from '../../model/neutral.js';
import { grid } from '../../render/grid.js';
import { heatImage } from '../../render/heat.js';
import { diverging, toImage } from '../../render/image.js';
import type { Flags, FlagSpecs } from '../args.js';
import { imageFrom } from '../inputs.js';

export const MODERN_FLAGS = {
  input: { type: 'string', help: 'accentuate: the seed image (a file or DATASET:N)' },
  weight: { type: 'number', help: "accentuate: weight of the L2 pull toward the seed, in units of the seed's activation (library default 1)" },
  crops: { type: 'int', help: 'maco, accentuate: random crops per image per step (default maco 32, fewer for many units; accentuate 6)' },
  warmup: { type: 'int', help: 'maco: steps with a leaky-ReLU gradient at the start (Xplique warm-up); default 16 when a unit has no gradient at the neutral image and the leaky one has, else 0' },
} as const satisfies FlagSpecs;

export interface ModernRun {
  result: MethodResult;
  /** Writes the method's extra files under `stem`; frees what the run kept for them. */
  write(output: OutputSession, stem: string): Promise<void>;
}

/** The leaky warm-up where it helps: 16 steps when some unit's gradient is 0 at the neutral image but not through leaky ReLUs. */
function autoWarmup(model: VisModel, req: UnitRequest): number {
  const x = tf.fill([req.units.length, ...model.input.shape], neutral(model)) as tf.Tensor4D;
  try {
    const g = startGradient(model, x, { layer: req.layer, units: req.units, neuron: req.neuron });
    return Array.from(g.stock).some((v, i) => v === 0 && g.leaky[i] > 0) ? 16 : 0;
  } finally {
    x.dispose();
  }
}

export async function runModern(
  method: 'maco' | 'accentuate', model: VisModel, req: UnitRequest & { lr?: number }, flags: Flags<typeof MODERN_FLAGS>, data: ImageSet | null,
): Promise<ModernRun> {
  const labels = req.units.map(String);
  if (method === 'maco') {
    const magnitude = data ? datasetSpectrum(model, data) : undefined;
    const r = maco(model, { ...req, magnitude, crops: flags.crops, warmup: flags.warmup ?? autoWarmup(model, req) });
    const { canvas, transparency } = r;
    return {
      result: r,
      write: async (output, stem) => {
        const [n, h, w, c] = canvas.shape;
        const px = canvas.dataSync() as Float32Array;
        const alpha = alphaOf(transparency);
        const [lo, hi] = model.input.range;
        canvas.dispose();
        transparency.dispose();
        const shape: [number, number, number] = [h, w, c];
        const plain = Array.from({ length: n }, (_, i) => toImage(itemOf(px, i, shape), shape, { mode: 'range', range: [lo, hi] }));
        const withAlpha = plain.map((t, i) => {
          const data = new Uint8ClampedArray(t.data);
          for (let j = 0; j < h * w; j++) data[4 * j + 3] = Math.round(255 * alpha[i * h * w + j]);
          return { width: t.width, height: t.height, data };
        });
        const maps = Array.from({ length: n }, (_, i) => heatImage(itemOf(alpha, i, [h, w]), h, w));
        await output.png(`${stem}-alpha.png`, grid(withAlpha, { labels, title: `${stem}: transparency as alpha`, minTile: 112 }));
        await output.png(`${stem}-transparency.png`, grid(maps, { labels, title: `${stem}: accumulated |gradient|`, minTile: 112 }));
      },
    };
  }
  const input = flags.input;
  if (input == null) throw new DeepvisError('--method accentuate starts from an image: give --input FILE or --input mnist:N');
  const seed = await imageFrom(input, model);
  const seed4 = tf.tidy(() => seed.expandDims(0) as tf.Tensor4D);
  seed.dispose();
  let r;
  try {
    r = accentuate(model, { ...req, image: seed4, weight: flags.weight, crops: flags.crops });
  } finally {
    seed4.dispose();
  }
  const { seeds } = r;
  const accentuated = r.images.clone();
  return {
    result: r,
    write: async (output, stem) => {
      const [n, h, w, c] = seeds.shape;
      const shape: [number, number, number] = [h, w, c];
      const s = seeds.dataSync() as Float32Array;
      const a = accentuated.dataSync() as Float32Array;
      const diff = tidyData(() => accentuated.sub(seeds).sum(3));
      seeds.dispose();
      accentuated.dispose();
      const range = { mode: 'range', range: model.input.range } as const;
      const row = (v: Float32Array) => Array.from({ length: n }, (_, i) => toImage(itemOf(v, i, shape), shape, range));
      const diffs = Array.from({ length: n }, (_, i) => diverging(itemOf(diff, i, [h, w]), h, w));
      const tiles = [...row(s), ...row(a), ...diffs];
      await output.png(`${stem}-triptych.png`, grid(tiles, {
        cols: n, labels: [...labels, ...labels, ...labels], rowLabels: ['seed', 'accentuated', 'difference'], title: `${stem} from ${input}`, minTile: 84,
      }));
    },
  };
}
