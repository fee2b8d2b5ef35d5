/**
 * node --import tsx bench/attribution_times.ts --model M --input SPEC [--methods all] [--rounds 2] [--out FILE]
 * Seconds per map of every attribution method of the registry (or --methods) on one image of a
 * model: a warm-up of the model (a saliency map and a forward pass: compiled paths, onnxruntime's
 * session), then the median of --rounds calls of each method at its defaults (a gradient or rule
 * method after one untimed call of its own: its gradient graph's sessions). Black-box methods' forwards run on onnxruntime for ONNX
 * files (the model's forward engine is printed). Each row says how many native gradient runs it
 * made (LRP and DeepLIFT run in the onnxruntime gradient graph) and the load average around it (the
 * machine is shared). Prints a markdown table and writes JSON (--out; with --append, rows are added
 * to what the file holds: one process per method). Not part of `npm run bench` (the sample-based
 * methods take minutes on a 224-px ResNet).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../src/attribution/attribute.js';
import { unfit } from '../src/attribution/method.js';
import { ATTRIBUTIONS } from '../src/attribution/registry.js';
import { parseArgs } from '../src/cli/args.js';
import { imagesFrom } from '../src/cli/inputs.js';
import { initEngine } from '../src/engine/backend.js';
import { writeJsonAtomic } from '../src/io/atomic.js';
import { loadModel } from '../src/io/model_files.js';
import { nativeRuns } from '../src/model/formats/onnx/grad/native.js';

const { flags } = parseArgs(process.argv.slice(2), {
  model: { type: 'string', help: 'model file or folder' },
  input: { type: 'string', help: 'one image (a file or DATASET:INDEX)' },
  methods: { type: 'string', help: "comma-separated, or 'all'", default: 'all' },
  rounds: { type: 'int', help: 'timed calls per method', default: 1 },
  out: { type: 'string', help: 'JSON results' },
  append: { type: 'bool', help: 'add the rows to those already in --out' },
  options: {
    type: 'string',
    help: 'method options as JSON (one method: fewer masks or designs to fit a time cap; recorded in the row)',
  },
});
const engine = await initEngine({ backend: 'wasm' });
const model = await loadModel(flags.model as string);
const { images } = await imagesFrom(flags.input as string, model);
const x = images.slice([0], [1]) as tf.Tensor4D;
images.dispose();
const wanted =
  flags.methods === 'all'
    ? ATTRIBUTIONS
    : ATTRIBUTIONS.filter((m) => (flags.methods as string).split(',').includes(m.name));
console.log(
  `${flags.model}: input ${model.input.shape.join('×')}, backend ${engine.backend} (${engine.threads} threads), forwards without a gradient on ${model.forwardEngine ?? 'tfjs'}, gradients on ${model.gradientEngine ?? 'tfjs'}${model.ruleSetEngines ? ` (${model.ruleSetEngines.map((r) => `${r.name} on ${r.engine}`).join(', ')})` : ''}`,
);
attribute(model, x, { method: 'saliency' });
tf.tidy(() => model.predict(x.tile([8, 1, 1, 1]) as tf.Tensor4D));
interface Row {
  method: string;
  access: string;
  seconds: number | null;
  note?: string;
  nativeRuns?: number;
  load?: [number, number];
  options?: Record<string, unknown>;
}
const options = flags.options
  ? (JSON.parse(flags.options as string) as Record<string, number | string>)
  : undefined;
const earlier: Row[] =
  flags.append && flags.out && existsSync(flags.out as string)
    ? (JSON.parse(readFileSync(flags.out as string, 'utf8')) as { rows: Row[] }).rows
    : [];
const rows: Row[] = [];
const runs = () => nativeRuns.forward + nativeRuns.backward + nativeRuns.fused;
for (const m of wanted) {
  const why = unfit(m, model);
  if (why) {
    rows.push({ method: m.name, access: m.access, seconds: null, note: why });
    continue;
  }
  try {
    // Gradient and rule methods build their gradient graph's sessions on first use: one untimed call.
    if (m.access !== 'forward') attribute(model, x, { method: m, seed: 0, options });
    const [load0, runs0] = [os.loadavg()[0], runs()];
    const times: number[] = [];
    for (let r = 0; r < (flags.rounds as number); r++) {
      const t0 = performance.now();
      attribute(model, x, { method: m, seed: r, options });
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    rows.push({
      method: m.name,
      access: m.access,
      seconds: times[Math.floor((times.length - 1) / 2)],
      nativeRuns: runs() - runs0,
      load: [load0, os.loadavg()[0]],
      ...(options ? { options } : {}),
    });
  } catch (e) {
    rows.push({
      method: m.name,
      access: m.access,
      seconds: null,
      note: (e as Error).message.split('\n')[0],
    });
  }
  const last = rows[rows.length - 1];
  console.log(
    `| ${last.method} | ${last.access} | ${last.seconds == null ? '—' : last.seconds.toFixed(last.seconds < 10 ? 2 : 1)} | ${last.nativeRuns ?? ''} | ${last.load ? last.load.map((l) => l.toFixed(1)).join('→') : ''} | ${last.note ?? ''} |`,
  );
  // Written after every row: a run cut short (a time limit) keeps what it measured.
  if (flags.out)
    await writeJsonAtomic(flags.out as string, {
      model: flags.model,
      input: flags.input,
      shape: model.input.shape,
      backend: engine.backend,
      threads: engine.threads,
      forwardEngine: model.forwardEngine ?? 'tfjs',
      gradientEngine: model.gradientEngine ?? 'tfjs',
      rows: [
        ...earlier.filter(
          (r) => !rows.some((q) => q.method === r.method && !r.options === !q.options),
        ),
        ...rows,
      ],
    });
}
x.dispose();
model.dispose();
