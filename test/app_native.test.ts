/**
 * An ONNX model in the live toolbox on onnxruntime-web (issue 26, item 6): the page loads the wasm
 * build with the model, runs its forwards and gradients there (the model line says so), draws the
 * backprop views and a Lucid run, and the same model with ?ort=off stays on tfjs. Headless Chromium.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openToolbox, probes, type OpenToolbox } from './app_fixture.js';
import { setup } from './helpers.js';

const MODEL = path.resolve('test/fixtures/onnx/trained/mnist-resnet');

let dir = '';
let app: OpenToolbox;

before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-app-native-'));
  app = await openToolbox(dir, [MODEL]);
});

after(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('toolbox on onnxruntime-web', () => {
  it("runs an ONNX model's forwards and gradients on onnxruntime-web: backprop views and a Lucid run", async () => {
    const { page, errors } = app;
    const { ready, stats, text, framesPast } = probes(page);
    await ready();
    // The engine choice: auto timed both engines on this model and kept the faster.
    assert.equal(await page.isVisible('#engine-label'), true);
    const auto =
      /forwards on (\S+)[^;]*, gradients on (\S+).*engine auto: a forward and gradient ([\d.]+) ms native, ([\d.]+) ms on tfjs/.exec(
        await text('#model-info'),
      );
    assert.ok(auto, await text('#model-info'));
    const faster = Number(auto[3]) <= Number(auto[4]) ? 'onnxruntime-web' : 'tfjs';
    assert.equal(auto[1], faster);
    assert.equal(auto[2], faster);
    await page.selectOption('#engine', 'native');
    await page.waitForFunction(() =>
      /chosen by hand/.test(document.getElementById('model-info')!.textContent ?? ''),
    );
    assert.match(
      await text('#model-info'),
      /forwards on onnxruntime-web 1\.30\.0 \(wasm\), gradients on onnxruntime-web 1\.30\.0 \(wasm\)/,
    );
    await page.click('#src-webcam');
    await framesPast(3);
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForSelector('#unit-panel:not([hidden])');
    for (const mode of ['gradient', 'guided', 'deconv']) {
      await page.click(`#bp-${mode}`);
      await page.waitForSelector(`#unit-deconv[data-mode="${mode}"]`);
    }
    await framesPast(10);
    const s = await stats();
    assert.match(s.gradientEngine, /onnxruntime-web/);
    // The frames' layer taps ran there too: a tap it could not read would have sent forwards to tfjs.
    assert.match(s.forwardEngine, /onnxruntime-web/);
    await page.selectOption('#opt-method', 'lucid');
    await page.fill('#opt-steps', '10');
    await page.click('#opt-run');
    await page.waitForSelector('#unit-opt[data-state="done"]', { timeout: 120_000 });
    assert.match(await text('#unit-opt-caption'), /activation .* \(done/);
    const before = (await stats()).numTensors;
    await framesPast(20);
    assert.ok(
      (await stats()).numTensors <= before + 2,
      'tensors leak while the native engine draws frames',
    );
    // The same model put on tfjs by hand: the views go on drawing there.
    await page.selectOption('#engine', 'tfjs');
    await page.waitForFunction(() =>
      /forwards on tfjs, gradients on tfjs/.test(
        document.getElementById('model-info')!.textContent ?? '',
      ),
    );
    await framesPast(5);
    assert.equal((await stats()).gradientEngine, 'tfjs');
    assert.deepEqual(errors, []);
  });

  it('keeps the model on tfjs with ?ort=off', async () => {
    const { page } = app;
    const { ready, text } = probes(page);
    await page.goto(`${app.url}?ort=off`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await ready();
    assert.match(await text('#model-info'), /forwards on tfjs, gradients on tfjs/);
    assert.equal(await page.isVisible('#engine-label'), false, 'no engine to choose');
  });
});
