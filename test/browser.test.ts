/**
 * The library in a real browser: Vite bundles web/check (which imports src/), a local server hands
 * it a model deepvis trained and saved, headless Chromium (Debian's, through playwright-core) loads
 * the model from its URL and runs activation-maximization steps in the page on wasm.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'vite';
import type { Browser } from 'playwright-core';
import { loadMnist } from '../src/data/mnist.js';
import { split } from '../src/data/dataset.js';
import { buildClassifier } from '../src/train/architectures.js';
import { fitClassifier } from '../src/train/fit.js';
import { saveLayersModel } from '../src/io/model_files.js';
import { setup } from './helpers.js';
import { launchChromium, serveFiles } from './chromium.js';

const root = path.resolve(import.meta.dirname, '..');
const artifacts = path.join(root, 'test/.artifacts');
let dir: string;
let server: Server;
let browser: Browser;
let base: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-browser-'));
  await setup('wasm');
  const { train, test } = split(loadMnist(), 0.2, 0);
  const model = buildClassifier('cnn', [28, 28, 1], 10, 0);
  await fitClassifier(model, { ...train, count: 2000 }, { ...test, count: 500 }, 10, { epochs: 1 });
  await saveLayersModel(model, path.join(dir, 'model'), {
    inputRange: [0, 1],
    channelOrder: 'gray',
    logitsLayer: 'logits',
  });
  await build({
    configFile: path.join(root, 'web/check/vite.config.ts'),
    build: { outDir: path.join(dir, 'site'), emptyOutDir: true },
    logLevel: 'error',
  });
  ({ server, base } = await serveFiles((rel) =>
    rel.startsWith('/model/')
      ? path.join(dir, rel)
      : path.join(dir, 'site', path.posix.normalize(rel)),
  ));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deepvis in headless Chromium', () => {
  it('loads a saved model by URL and maximizes units in the page on wasm', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/?backend=wasm&layer=logits&steps=15`);
    await page.waitForFunction(
      () => (window as any).deepvisResult || (window as any).deepvisError,
      null,
      { timeout: 120_000 },
    );
    const error = await page.evaluate(() => (window as any).deepvisError);
    assert.equal(error, undefined, `page error: ${error}`);
    const r = await page.evaluate(() => (window as any).deepvisResult);
    assert.equal(r.backend, 'wasm');
    assert.equal(r.steps, 15);
    for (let i = 0; i < 4; i++)
      assert.ok(r.last[i] > r.first[i], `unit ${i}: ${r.first[i]} → ${r.last[i]}`);
    assert.equal(r.leaked, 0, 'tensors leaked in the page');
    assert.deepEqual(errors, []);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'browser-check.png') });
    await page.close();
  });
});
