/**
 * #7's frame-rate bar, measured (not asserted): the live view in headless Chromium without a GPU
 * (Debian's chromium, --disable-gpu), fake webcam, for the MNIST CNN and the 64×64×3 VGG-like model
 * of W1, on the page's own choice of backend and on WebGL forced (software in headless Chromium). Frames per second over 5 s after a warm-up.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { saveLayersModel } from '../src/io/model_files.js';
import { ensureApp } from '../src/serve/build_app.js';
import { serve } from '../src/serve/server.js';
import { buildClassifier } from '../src/train/architectures.js';
import { modelB } from './models.js';
import type { Measure } from './workloads.js';

const root = path.resolve(import.meta.dirname, '..');

export async function appBench(): Promise<Record<string, Measure>> {
  if (!existsSync('/usr/bin/chromium')) return {};
  const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-appbench-'));
  const cnn = existsSync(path.join(root, 'models/mnist-cnn/model.json')) ? path.join(root, 'models/mnist-cnn') : path.join(dir, 'cnn');
  if (cnn.startsWith(dir)) await saveLayersModel(buildClassifier('cnn', [28, 28, 1], 10, 0), cnn, { inputRange: [0, 1], channelOrder: 'gray' });
  await saveLayersModel(modelB(), path.join(dir, 'vgg64'), { inputRange: [0, 1], channelOrder: 'rgb' });
  const appDir = await ensureApp({});
  const s = await serve({ models: [cnn, path.join(dir, 'vgg64')], appDir, port: 0, cacheDir: path.join(dir, 'cache'), log: () => {} });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  const out: Record<string, Measure> = {};
  try {
    for (const backend of ['', 'webgl']) {
      for (const [i, name] of [[0, 'mnist_cnn'], [1, 'vgg64_rgb']] as const) {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['camera'] });
        const page = await ctx.newPage();
        await page.goto(`${s.url}${backend ? `?backend=${backend}` : ''}`);
        await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
        if (i === 1) await page.selectOption('#model', '1');
        await page.waitForFunction(() => /model ready/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 120_000 });
        await page.click('#src-webcam');
        await page.waitForTimeout(2000);
        const stat = () => page.evaluate(() => (window as unknown as { deepvisApp: { stats(): { frames: number; backend: string; numTensors: number } } }).deepvisApp.stats());
        const a = await stat();
        const t = Date.now();
        await page.waitForTimeout(5000);
        const b = await stat();
        const fps = ((b.frames - a.frames) * 1000) / (Date.now() - t);
        out[`app_live_fps_${name}_${backend ? 'forced' : 'auto'}_${b.backend}`] = { value: fps, unit: 'frames/s', detail: `headless Chromium, no GPU; tensors ${a.numTensors} → ${b.numTensors}` };
        await ctx.close();
      }
    }
  } finally {
    await browser.close();
    await s.close();
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
