/**
 * deepvis dream --model M --layer L (--input PHOTO | --units …) [--zoom N] --out DIR
 * DeepDream (Cavojska 2015 §6): with --input, enhance what layer L sees in the photo over octaves
 * (--zoom N: N frames of dream → zoom → dream, plus an animated GIF); without it, the units (or
 * classes, on the logits layer) drawn from noise with a neighbouring-pixel prior.
 */
import * as tf from '@tensorflow/tfjs';
import { itemOf } from '../../engine/read.js';
import { animatedGif } from '../../io/animation.js';
import { pngBytes } from '../../io/png.js';
import { dreamParams, dreamPhoto } from '../../methods/dream.js';
import { dreamUnits, dreamUnitsParams } from '../../methods/dream_units.js';
import { DEFAULT_ZOOM, dreamZoom } from '../../methods/zoom.js';
import { deepDream } from '../../objectives/layer.js';
import { grid } from '../../render/grid.js';
import { toImage } from '../../render/image.js';
import { positive, required, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, fileStem, MODEL_FLAGS, openModelCommand } from '../command.js';
import { imageFrom, inputFitJson, UNIT_FLAGS, unitsFrom } from '../inputs.js';
import { checkBatchMemory } from '../limits.js';
import { Progress } from '../progress.js';

const SPECS = {
  ...MODEL_FLAGS,
  ...UNIT_FLAGS,
  input: {
    type: 'string',
    help: 'photo to dream on: an image file or DATASET:INDEX (e.g. mnist:7)',
  },
  // Defaults are the library's (dreamParams, dreamUnitsParams, DEFAULT_ZOOM); the JSON reports what ran.
  octaves: { type: 'int', help: 'octaves (coarse to fine; library default 3)' },
  'octave-scale': { type: 'number', help: 'size ratio between octaves (library default 1.4)' },
  steps: {
    type: 'int',
    help: 'steps per octave with --input (default 20); steps in all for units from noise (default 200)',
  },
  lr: {
    type: 'number',
    help: 'step size as a fraction of the input range (default 0.01 with --input, 0.02 for units from noise)',
  },
  size: {
    type: 'int',
    help: 'dream on the photo enlarged to this many pixels on its long side (default: its own size, at least the model input)',
  },
  zoom: {
    type: 'int',
    help: 'frames of dream → zoom → dream (writes the frames and an animated GIF)',
  },
  'zoom-factor': { type: 'number', help: 'zoom per frame', default: DEFAULT_ZOOM },
  tv: {
    type: 'number',
    help: 'units from noise: weight of the neighbouring-pixel (total variation) prior (library default 30)',
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage(
  'dream',
  '--model M --layer L (--input PHOTO [--zoom N] | --units 0-9) --out DIR',
  SPECS,
);

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    required(f, 'layer');
    positive(f, 'octaves', 'steps', 'zoom', 'size');
  });
  const layerRef = required(flags, 'layer');
  const seed = flags.seed;
  const quiet = Boolean(flags.quiet);
  const [h, w, c] = model.input.shape;
  const stemOf = (name: string) => `${fileStem(name)}-dream`;
  if (!flags.input) {
    const { layer, neuron, units } = unitsFrom(flags, model, layerRef);
    checkBatchMemory(model, units.length, {
      layer: layer.name,
      what: `${units.length} units`,
      hint: 'fewer --units',
    });
    const req = {
      layer: layer.name,
      units,
      neuron,
      steps: flags.steps,
      seed,
      tv: flags.tv,
      lr: flags.lr,
    };
    const bar = new Progress(`dream ${layer.name}`, dreamUnitsParams(model, req).steps, quiet);
    const r = dreamUnits(model, {
      ...req,
      onStep: (info) => {
        bar.update(info.step + 1);
        bar.note(info);
      },
    });
    bar.done();
    const v = r.images.dataSync();
    r.images.dispose();
    const tiles = units.map((_, i) => toImage(itemOf(v, i, [h, w, c]), [h, w, c]));
    const stem = stemOf(layer.name);
    await output.png(
      `${stem}.png`,
      grid(tiles, {
        labels: r.units.map((u) => `${u.unit} ${u.activation.toPrecision(3)}`),
        title: `${layer.name} - DeepDream from noise`,
      }),
    );
    await output.json(`${stem}.json`, {
      model: flags.model,
      layer: layer.name,
      objective: r.objective,
      params: { ...r.params, seed },
      backend: engine.backend,
      seconds: r.seconds,
      units: r.units,
    });
    await output.commit();
    console.log(`wrote ${output.final(stem)}.png and ${stem}.json (${r.seconds.toFixed(1)}s)`);
    model.dispose();
    return;
  }
  const layer = model.layer(layerRef);
  if (flags.size) {
    // The photo is dreamt on at --size: memory grows with its area against the model's input.
    const area = flags.size ** 2 / (h * w);
    checkBatchMemory(model, Math.ceil(area), {
      layer: layer.name,
      what: `a ${flags.size}-pixel photo, ${Math.ceil(area)} times the model's input area`,
      hint: 'a smaller --size',
    });
  }
  let photo = await imageFrom(flags.input, model, true);
  if (flags.size) {
    const s = flags.size / Math.max(photo.shape[0], photo.shape[1]);
    const resized = tf.tidy(
      () =>
        tf.image.resizeBilinear(
          photo,
          [Math.round(photo.shape[0] * s), Math.round(photo.shape[1] * s)],
          true,
        ) as tf.Tensor3D,
    );
    photo.dispose();
    photo = resized;
  }
  const args = {
    objective: deepDream(layer),
    ...dreamParams({
      octaves: flags.octaves,
      octaveScale: flags['octave-scale'],
      stepsPerOctave: flags.steps,
      lr: flags.lr,
      seed,
    }),
  };
  const params = {
    ...args,
    objective: args.objective.description,
    input: flags.input,
    size: photo.shape,
  };
  const fitted = inputFitJson();
  const stem = stemOf(layer.name);
  const toPng = (t: tf.Tensor3D) =>
    toImage(t.dataSync(), t.shape as [number, number, number], {
      mode: 'range',
      range: model.input.range,
    });
  if (flags.zoom) {
    const frames = flags.zoom;
    const bar = new Progress(`dream zoom ${layer.name}`, frames, quiet);
    let done = 0;
    const r = dreamZoom(model, photo, {
      ...args,
      frames,
      zoom: flags['zoom-factor'],
      onStep: ({ octave, step }) => octave === 0 && step === 0 && bar.update(++done),
    });
    bar.done();
    const images = r.frames.map(toPng);
    r.frames.forEach((f) => f.dispose());
    for (const [k, img] of images.entries())
      await output.write(`${stem}-frame${String(k).padStart(3, '0')}.png`, await pngBytes(img));
    await output.write(`${stem}-zoom.gif`, await animatedGif(images, 120));
    await output.json(`${stem}.json`, {
      model: flags.model,
      layer: layer.name,
      params: { ...params, frames, zoomFactor: flags['zoom-factor'] },
      ...fitted,
      backend: engine.backend,
      seconds: r.seconds,
    });
    await output.commit();
    console.log(
      `wrote ${frames} frames, ${output.final(stem)}-zoom.gif and ${stem}.json (${r.seconds.toFixed(1)}s)`,
    );
  } else {
    const bar = new Progress(`dream ${layer.name}`, args.octaves * args.stepsPerOctave, quiet);
    const r = dreamPhoto(model, photo, {
      ...args,
      onStep: ({ octave, step }) => bar.update(octave * args.stepsPerOctave + step + 1),
    });
    bar.done();
    const before = tf.tidy(
      () =>
        tf.image.resizeBilinear(photo, [r.image.shape[0], r.image.shape[1]], true) as tf.Tensor3D,
    );
    await output.png(
      `${stem}.png`,
      grid([toPng(before), toPng(r.image)], {
        labels: ['input', 'dream'],
        title: `${layer.name} - DeepDream`,
        minTile: 224,
      }),
    );
    before.dispose();
    r.image.dispose();
    await output.json(`${stem}.json`, {
      model: flags.model,
      layer: layer.name,
      params,
      ...fitted,
      backend: engine.backend,
      seconds: r.seconds,
      octaves: r.octaves,
    });
    await output.commit();
    console.log(`wrote ${output.final(stem)}.png and ${stem}.json (${r.seconds.toFixed(1)}s)`);
  }
  photo.dispose();
  model.dispose();
}
