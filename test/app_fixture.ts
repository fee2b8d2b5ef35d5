/**
 * What the three browser suites of the live toolbox share (test/app.test.ts, app_defects.test.ts,
 * app_toolbox.test.ts): the MNIST CNN they serve, a digit it classifies confidently, the app built
 * by Vite and served by deepvis's server with MNIST, headless Chromium with a fake webcam on it,
 * and the probes they read the page with.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { loadMnist } from '../src/data/mnist.js';
import { split, type ImageSet } from '../src/data/dataset.js';
import { buildClassifier } from '../src/train/architectures.js';
import { fitClassifier } from '../src/train/fit.js';
import { ensureApp } from '../src/serve/build_app.js';
import { serve } from '../src/serve/server.js';
import { setup } from './helpers.js';
import { FAKE_CAMERA, launchChromium } from './chromium.js';

/** The CNN every suite serves: 3,000 digits, one epoch, seed 0 (≈ 95% on the held-out 500). */
export async function trainMnistCnn(): Promise<{ model: tf.LayersModel; test: ImageSet }> {
  await setup('wasm');
  const { train, test } = split(loadMnist(), 0.2, 0);
  const model = buildClassifier('cnn', [28, 28, 1], 10, 0);
  await fitClassifier(model, { ...train, count: 3000 }, { ...test, count: 500 }, 10, { epochs: 1 });
  return { model, test };
}

/** A held-out digit the CNN gets right with p > 0.9, written as a PNG to `file`. */
export async function confidentDigit(
  model: tf.LayersModel,
  test: ImageSet,
  file: string,
): Promise<{ file: string; label: number; pixels: Uint8Array }> {
  const probs = tf
    .tidy(
      () =>
        model.predict(tf.tensor4d(test.images.subarray(0, 50 * 784), [50, 28, 28, 1])) as tf.Tensor,
    )
    .arraySync() as number[][];
  const i = probs.findIndex(
    (p, k) => p.indexOf(Math.max(...p)) === test.labels![k] && Math.max(...p) > 0.9,
  );
  const pixels = Uint8Array.from(test.images.subarray(i * 784, (i + 1) * 784), (v) =>
    Math.round(v * 255),
  );
  await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toFile(file);
  return { file, label: test.labels![i], pixels };
}

export interface OpenToolbox {
  url: string;
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions of the page, as they come. */
  errors: string[];
  /** Closes the browser and the server. */
  close(): Promise<void>;
}

/**
 * Builds the app into dir/app, serves `models` (and `reports`) with MNIST, and opens it at
 * 1280×800 in Chromium with a fake webcam; resolves once the page says it is ready.
 */
export async function openToolbox(
  dir: string,
  models: readonly string[],
  reports?: readonly string[],
  /** More Chromium flags (--enable-unsafe-webgpu: SwiftShader's WebGPU adapter). */
  chromiumArgs: readonly string[] = [],
): Promise<OpenToolbox> {
  const appDir = await ensureApp({ outDir: path.join(dir, 'app'), rebuild: true });
  const s = await serve({
    models,
    data: 'mnist',
    reports,
    appDir,
    port: 0,
    cacheDir: path.join(dir, 'cache'),
    log: () => {},
  });
  const browser = await launchChromium([...FAKE_CAMERA, ...chromiumArgs]);
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    permissions: ['camera'],
  });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(s.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
  return {
    url: s.url,
    browser,
    page,
    errors,
    close: async () => {
      await browser.close();
      await s.close();
    },
  };
}

export type AppStats = {
  frames: number;
  numTensors: number;
  fps: number;
  source: string;
  backend: string;
  forwardEngine: string;
  gradientEngine: string;
};

/** The probes the suites read the page with. */
export function probes(page: Page) {
  const stats = () =>
    page.evaluate(() =>
      (window as unknown as { deepvisApp: { stats(): AppStats } }).deepvisApp.stats(),
    );
  return {
    stats,
    text: async (sel: string) => (await page.textContent(sel)) ?? '',
    /** Waits until the status line says the model is ready. */
    ready: () =>
      page.waitForFunction(
        () => /model ready/.test(document.getElementById('status')!.textContent ?? ''),
        null,
        { timeout: 60_000 },
      ),
    /** Waits until `n` more live frames have been drawn. */
    framesPast: async (n: number, timeout = 60_000) => {
      const f = (await stats()).frames;
      await page.waitForFunction(
        (x) =>
          (window as unknown as { deepvisApp: { stats(): AppStats } }).deepvisApp.stats().frames >=
          x,
        f + n,
        { timeout },
      );
    },
    /** A hash of a canvas's size and pixels (every `stride`-th byte), to tell two pictures apart. */
    canvasHash: (id: string, stride = 1) =>
      page.evaluate(
        ([id, stride]) => {
          const c = document.getElementById(id as string) as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let h = 0;
          for (let i = 0; i < d.length; i += stride as number) h = (h * 31 + d[i]) >>> 0;
          return `${c.width}x${c.height}:${h}`;
        },
        [id, stride] as const,
      ),
  };
}
