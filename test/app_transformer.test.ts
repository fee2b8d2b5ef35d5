/**
 * The live toolbox on a vision transformer (the trained MNIST ViT, ONNX): the attention section
 * appears, draws every head of the last block, their mean and rollout over the current data-set
 * image, names each head's mean attention distance, follows the block slider and redraws when the
 * input changes; the page leaks no tensors doing so. A screenshot lands in the test's folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openToolbox, probes, type OpenToolbox } from './app_fixture.js';
import { setup } from './helpers.js';

const VIT = path.resolve('test/fixtures/onnx/trained/mnist-vit');
let dir: string;
let app: OpenToolbox;

describe('live toolbox on a vision transformer', () => {
  before(async () => {
    await setup('wasm');
    dir = await mkdtemp(path.join(tmpdir(), 'deepvis-app-vit-'));
    app = await openToolbox(dir, [VIT]);
  });
  after(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('per-head attention of a block, live on the input, with the block slider', async () => {
    const { page } = app;
    const { ready, canvasHash, stats, text } = probes(page);
    await ready();
    assert.equal(
      await page.isHidden('#attention-panel'),
      false,
      'the attention section shows for a ViT',
    );
    await page.click('#src-data');
    await page.waitForFunction(() => (window as any).deepvisApp.stats().source === 'data');
    await page.waitForFunction(
      () => document.getElementById('attn-out')!.dataset.heads === '4',
      null,
      { timeout: 120_000 },
    );
    assert.equal(await page.getAttribute('#attn-out', 'data-block'), '3', 'the last block first');
    assert.match(
      await text('#attn-info'),
      /encoder_layer_3: 4 heads, class token → patches\. Mean attention distance [\d.]+, [\d.]+, [\d.]+, [\d.]+ px/,
    );
    const first = await canvasHash('attn-out');
    // Block 0: another picture, another name.
    await page.fill('#attn-block', '0');
    await page.dispatchEvent('#attn-block', 'input');
    await page.waitForFunction(() => document.getElementById('attn-out')!.dataset.block === '0');
    assert.match(await text('#attn-info'), /encoder_layer_0: 4 heads/);
    const block0 = await canvasHash('attn-out');
    assert.notEqual(block0, first);
    // The next data-set image: the heads redraw (live), with no tensor left behind.
    const tensors = (await stats()).numTensors;
    await page.click('#data-next');
    await page.waitForFunction(
      (h) => {
        const c = document.getElementById('attn-out') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let x = 0;
        for (let i = 0; i < d.length; i++) x = (x * 31 + d[i]) >>> 0;
        return `${c.width}x${c.height}:${x}` !== h;
      },
      block0,
      { timeout: 120_000 },
    );
    await page.waitForTimeout(500);
    assert.ok(
      (await stats()).numTensors <= tensors + 2,
      `tensors ${tensors} → ${(await stats()).numTensors}`,
    );
    await page
      .locator('#attention-panel')
      .screenshot({ path: path.join(process.env.DEEPVIS_SHOTS ?? dir, 'vit-attention.png') });
    assert.deepEqual(app.errors, []);
  });
});
