/**
 * Gradients run ahead of the tape on an asynchronous engine (VisModel.gradientAhead, issue 26
 * item 6; the page's is onnxruntime-web on WebGPU): a Lucid run on the trained MNIST ResNet,
 * driven with such an engine attached, gives the images of the same run drained without it, and
 * every step took its gradient from the engine (the op's own test, engine/native_gradient.test.ts,
 * covers the first two steps of a new objective, which find no prediction). Drained, the engine is
 * never called. A graph the engine fails on stays on the tape's engine, said in one line; an
 * engine that stops answering is let go; either way the run goes on with the same result. The
 * engine here is onnxruntime-node behind a promise.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { AsyncGraphs, NativeGraphs, NativeSession } from '../../../engine/forward_runner.js';
import { onnxRuntimeRunner } from '../../../engine/onnxruntime.js';
import { loadModel } from '../../../io/model_files.js';
import { lucid, lucidSteps } from '../../../methods/lucid.js';
import { drive } from '../../../optimize/drive.js';
import type { VisModel } from '../../types.js';
import { aheadWait } from './ahead.js';
import { maxAbsDiff, noLeaks, setup } from '../../../../test/helpers.js';

const FILE = 'test/fixtures/onnx/trained/mnist-resnet/model.onnx';
const STEPS = 12;

/**
 * onnxruntime-node's sessions behind promises, one per key. `fail`: every run rejects; `hangAfter`:
 * runs after that many never answer.
 */
function asyncEngine(graphs: NativeGraphs, opts: { fail?: boolean; hangAfter?: number } = {}) {
  const sessions = new Map<string, NativeSession>();
  const calls = { attempts: 0, runs: 0, built: 0 };
  const engine: AsyncGraphs = {
    name: 'onnxruntime-node (async)',
    async run(key, graph, feeds, fetch) {
      calls.attempts++;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (opts.fail) throw new Error('adapter lost\nsecond line');
      if (opts.hangAfter != null && calls.runs >= opts.hangAfter) return new Promise(() => {});
      let s = sessions.get(key);
      if (!s) {
        const g = graph();
        calls.built++;
        sessions.set(key, (s = graphs.session(g.bytes, g.external)));
      }
      calls.runs++;
      const f = Object.fromEntries(
        Object.entries(feeds).map(([k, v]) => [k, { type: 'float32' as const, ...v }]),
      );
      return s.run(f, fetch).map((o) => ({ data: o.data as Float32Array, dims: o.dims }));
    },
  };
  return { engine, calls, dispose: () => sessions.forEach((s) => s.dispose()) };
}

let model: VisModel;
let graphs: NativeGraphs;
const args = { layer: 'layer2.0.conv2', units: [0, 3, 5], steps: STEPS, seed: 4 };

before(async () => {
  await setup('wasm');
  model = await loadModel(FILE);
  const bytes = readFileSync(FILE);
  graphs = onnxRuntimeRunner(() => new Uint8Array(bytes))('input', [])!.graphs!;
});

describe('gradients run ahead on an asynchronous engine', () => {
  it("gives a driven Lucid run the drained run's images, every step's gradient from the engine", async () => {
    assert.match(model.gradientEngine ?? '', /onnxruntime-node/);
    const plain = lucid(model, args);
    const { engine, calls, dispose } = asyncEngine(graphs);
    model.useAsyncGraphs!(engine);
    // Drained, nothing waits: the engine is never called.
    const drained = lucid(model, args);
    assert.equal(calls.runs, 0);
    assert.equal(maxAbsDiff(drained.images.dataSync(), plain.images.dataSync()), 0);
    const before = model.ahead!;
    const driven = await noLeaks(async () => {
      const r = await drive(lucidSteps(model, args));
      const kept = { images: r.images.dataSync().slice(), units: r.units };
      r.dispose();
      return kept;
    });
    const after = model.ahead!;
    // The drained runs just before brought the same tap gradients (the units' channel means), so
    // even step 0 has its prediction: every step ran ahead, on one session.
    assert.equal(calls.runs, STEPS);
    assert.equal(calls.built, 1);
    assert.equal(after.runs - before.runs, STEPS);
    assert.equal(after.used - before.used, STEPS, 'every run ahead was taken');
    assert.equal(after.engine, engine);
    // The same images: the fused graph's gradient, not the split pair's, fed Adam.
    const diff = maxAbsDiff(driven.images, plain.images.dataSync());
    assert.ok(diff < 1e-4, `images differ by ${diff}`);
    driven.units.forEach((u, i) =>
      assert.ok(
        Math.abs(u.activation - plain.units[i].activation) <
          1e-3 * Math.max(1, Math.abs(u.activation)),
      ),
    );
    model.useAsyncGraphs!(null);
    assert.equal(
      model.gradientAhead!([args.layer], () => assert.fail('no image without an engine')),
      null,
    );
    dispose();
    plain.dispose();
    drained.dispose();
  });

  it('keeps a graph the engine fails on on the tape, says why in one line, and the run goes on', async () => {
    const plain = lucid(model, args);
    const { engine, calls, dispose } = asyncEngine(graphs, { fail: true });
    model.useAsyncGraphs!(engine);
    const before = model.ahead!.used;
    const r = await drive(lucidSteps(model, args));
    // One failed run; the other steps did not try that graph again.
    assert.equal(calls.attempts, 1);
    assert.equal(model.ahead!.used, before);
    assert.equal(model.ahead!.engine, engine);
    assert.equal(
      model.ahead!.why,
      `onnxruntime-node (async) failed on the gradient graph of ${args.layer} (adapter lost); those steps run on ${model.gradientEngine}`,
    );
    assert.ok(maxAbsDiff(r.images.dataSync(), plain.images.dataSync()) < 1e-4);
    r.dispose();
    plain.dispose();
    dispose();
    model.useAsyncGraphs!(null);
  });

  it('lets go of an engine that stops answering, and the run goes on', async () => {
    const plain = lucid(model, args);
    const { engine, calls, dispose } = asyncEngine(graphs, { hangAfter: 3 });
    const wait = { ...aheadWait };
    Object.assign(aheadWait, { floorMs: 200, factor: 1 });
    try {
      model.useAsyncGraphs!(engine);
      const r = await drive(lucidSteps(model, args));
      assert.equal(calls.runs, 3);
      assert.equal(model.ahead!.engine, null);
      assert.match(
        model.ahead!.why,
        /^onnxruntime-node \(async\) did not answer within \d+ s; runs ahead stopped$/,
      );
      assert.ok(maxAbsDiff(r.images.dataSync(), plain.images.dataSync()) < 1e-4);
      r.dispose();
    } finally {
      Object.assign(aheadWait, wait);
      plain.dispose();
      dispose();
    }
  });
});
