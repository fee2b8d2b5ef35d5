// The smallest page that proves the library runs in a browser: load a saved model from the server,
// run a few activation-maximization steps of several units at once, draw the grid.
import { featureVis, models, render, initEngine } from '../../src/index.js';
import { itemOf } from '../../src/engine/read.js';
import * as tf from '@tensorflow/tfjs';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import threaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

const { erhan } = featureVis;
const { grid, toImage } = render;
const { loadModelFromUrl } = models;

const status = document.getElementById('status')!;
const params = new URLSearchParams(location.search);

async function run() {
  const engine = await initEngine({
    backend: (params.get('backend') as 'wasm' | 'cpu' | null) ?? undefined,
    wasmPaths: {
      'tfjs-backend-wasm-simd.wasm': simd,
      'tfjs-backend-wasm.wasm': plain,
      'tfjs-backend-wasm-threaded-simd.wasm': threaded,
    },
  });
  const model = await loadModelFromUrl(params.get('model') ?? '/model/model.json');
  const layer = params.get('layer') ?? model.layers[model.layers.length - 2].name;
  const unitList = [0, 1, 2, 3];
  const steps = Number(params.get('steps') ?? 20);
  const scores: number[][] = [];
  const before = tf.memory().numTensors;
  const result = erhan(model, {
    layer,
    units: unitList,
    restarts: 1,
    steps,
    onStep: (s) => scores.push(Array.from(s.scores)),
  });
  const [h, w, c] = model.input.shape;
  const values = await result.images.data();
  result.images.dispose();
  const img = grid(
    unitList.map((_, i) => toImage(itemOf(values, i, [h, w, c]), [h, w, c])),
    {
      labels: result.units.map((u) => `${u.unit} ${u.activation.toFixed(2)}`),
    },
  );
  const canvas = document.getElementById('grid') as HTMLCanvasElement;
  canvas.width = img.width;
  canvas.height = img.height;
  canvas
    .getContext('2d')!
    .putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
  const out = {
    backend: engine.backend,
    layer,
    steps: scores.length,
    first: scores[0],
    last: scores[scores.length - 1],
    activations: result.units.map((u) => u.activation),
    leaked: tf.memory().numTensors - before,
  };
  (window as unknown as { deepvisResult: unknown }).deepvisResult = out;
  status.textContent = `done on ${engine.backend}: ${scores.length} steps`;
}

run().catch((e) => {
  (window as unknown as { deepvisError: string }).deepvisError = String(e?.message ?? e);
  status.textContent = `error: ${e?.message ?? e}`;
});
