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
    assert.deepEqual(errors, []);
  });

  it('keeps the model on tfjs with ?ort=off', async () => {
    const { page } = app;
    const { ready, text } = probes(page);
    await page.goto(`${app.url}?ort=off`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await ready();
    assert.match(await text('#model-info'), /forwards on tfjs, gradients on tfjs/);
  });
});
