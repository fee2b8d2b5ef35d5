// Loads the Keras fixtures the server hands out (?files=a.h5,b.keras) from bytes in memory, as a
// dropped file would be, and compares each output with its .expect.json (the NumPy reference).
import * as tf from '@tensorflow/tfjs';
import { loadKeras } from '../../src/model/formats/keras/load.js';

const status = document.getElementById('status')!;
const params = new URLSearchParams(location.search);
const files = (params.get('files') ?? '').split(',').filter(Boolean);
const bad = params.get('bad');

async function check(file: string) {
  const bytes = new Uint8Array(await (await fetch(`fixtures/${file}`)).arrayBuffer());
  const exp = await (
    await fetch(`fixtures/${file.replace(/\.(h5|keras)$/, '.expect.json')}`)
  ).json();
  const vis = await loadKeras(bytes, file, {}, {});
  const y = vis.predict(tf.tensor4d(exp.input, exp.inputShape));
  const got = await y.data();
  y.dispose();
  vis.dispose();
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < got.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - exp.output[i]));
    scale = Math.max(scale, Math.abs(exp.output[i]));
  }
  return { file, layers: vis.layers.length, relDiff: diff / scale };
}

async function run() {
  await tf.setBackend('cpu');
  const results = [];
  for (const f of files) results.push(await check(f));
  let badError: string | null = null;
  if (bad) {
    const bytes = new Uint8Array(await (await fetch(`fixtures/${bad}`)).arrayBuffer());
    badError = await loadKeras(bytes, bad, {}, {}).then(
      () => null,
      (e) => `${e?.name}: ${e?.message}`,
    );
  }
  (window as unknown as { kerasResult: unknown }).kerasResult = { results, badError };
  status.textContent = `done: ${results.length} files`;
}

run().catch((e) => {
  (window as unknown as { kerasError: string }).kerasError = String(e?.message ?? e);
  status.textContent = `error: ${e?.message ?? e}`;
});
