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
  const cnn = existsSync(path.join(root, 'models/mnist-cnn/model.json'))
    ? path.join(root, 'models/mnist-cnn')
    : path.join(dir, 'cnn');
  if (cnn.startsWith(dir))
    await saveLayersModel(buildClassifier('cnn', [28, 28, 1], 10, 0), cnn, {
      inputRange: [0, 1],
      channelOrder: 'gray',
    });
  await saveLayersModel(modelB(), path.join(dir, 'vgg64'), {
    inputRange: [0, 1],
    channelOrder: 'rgb',
  });
  const appDir = await ensureApp({});
  const s = await serve({
    models: [cnn, path.join(dir, 'vgg64')],
    appDir,
    port: 0,
    cacheDir: path.join(dir, 'cache'),
    log: () => {},
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
  const out: Record<string, Measure> = {};
  try {
    for (const backend of ['', 'webgl']) {
      for (const [i, name] of [
        [0, 'mnist_cnn'],
        [1, 'vgg64_rgb'],
      ] as const) {
        const ctx = await browser.newContext({
          viewport: { width: 1280, height: 800 },
          permissions: ['camera'],
        });
        const page = await ctx.newPage();
        await page.goto(`${s.url}${backend ? `?backend=${backend}` : ''}`);
        await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
        if (i === 1) await page.selectOption('#model', '1');
        await page.waitForFunction(
          () => /model ready/.test(document.getElementById('status')!.textContent ?? ''),
          null,
          { timeout: 120_000 },
        );
        await page.click('#src-webcam');
        await page.waitForTimeout(2000);
        const stat = () =>
          page.evaluate(() =>
            (
              window as unknown as {
                deepvisApp: { stats(): { frames: number; backend: string; numTensors: number } };
              }
            ).deepvisApp.stats(),
          );
        const a = await stat();
        const t = Date.now();
        await page.waitForTimeout(5000);
        const b = await stat();
        const fps = ((b.frames - a.frames) * 1000) / (Date.now() - t);
        out[`app_live_fps_${name}_${backend ? 'forced' : 'auto'}_${b.backend}`] = {
          value: fps,
          unit: 'frames/s',
          detail: `headless Chromium, no GPU; tensors ${a.numTensors} → ${b.numTensors}`,
        };
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

/**
 * Issue 26, item 6: an ONNX model in the live toolbox on onnxruntime-web (its wasm build driven
 * synchronously, forwards and gradients) against the tfjs path (?ort=off): frames per second of
 * the live view with the unit panel open on the backprop view (gradient mode: a saliency map every
 * fifth frame), and seconds per step of a Lucid run in the unit panel (the difference of a short
 * and a long run over their extra steps, so set-up is not counted: 10 and 110 steps, 10 and 30 on
 * WebGPU, whose software adapter here is slow). 'webgpu': the engine set to
 * onnxruntime-web with WebGPU (SwiftShader's adapter here: --enable-unsafe-webgpu), where the
 * backprop view's maps and the Lucid steps' gradients run. `models`: ONNX files to serve; `modes`:
 * the paths to run.
 */
export async function appNativeBench(
  models: readonly string[],
  lucidSteps: (mode: string) => readonly [number, number] = (mode) =>
    mode === 'webgpu' ? [10, 30] : [10, 110],
  modes: ReadonlyArray<'tfjs' | 'ort' | 'webgpu'> = ['tfjs', 'ort', 'webgpu'],
): Promise<Record<string, Measure>> {
  if (!existsSync('/usr/bin/chromium')) return {};
  const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-appnative-'));
  const appDir = await ensureApp({});
  const s = await serve({
    models: [...models],
    appDir,
    port: 0,
    cacheDir: path.join(dir, 'cache'),
    log: () => {},
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--enable-unsafe-webgpu',
    ],
  });
  const out: Record<string, Measure> = {};
  try {
    for (const [i, file] of models.entries()) {
      const name =
        path.basename(path.dirname(file)) === '.cache'
          ? path.basename(file, '.onnx')
          : path.basename(path.dirname(file));
      for (const mode of modes) {
        const ctx = await browser.newContext({
          viewport: { width: 1280, height: 800 },
          permissions: ['camera'],
        });
        const page = await ctx.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${s.url}?backend=wasm${mode === 'tfjs' ? '&ort=off' : ''}`);
        await page.waitForSelector('body[data-ready=true]', { timeout: 300_000 });
        if (i > 0) await page.selectOption('#model', String(i));
        await page.waitForFunction(
          () => /model ready/.test(document.getElementById('status')!.textContent ?? ''),
          null,
          { timeout: 300_000 },
        );
        if (mode === 'webgpu') {
          await page.selectOption('#engine', 'webgpu');
          await page.waitForFunction(
            () =>
              /steps on WebGPU|no WebGPU/.test(
                document.getElementById('model-info')!.textContent ?? '',
              ),
            null,
            { timeout: 300_000 },
          );
        }
        await page.click('#src-webcam');
        await page.waitForTimeout(2000);
        await page.click('#grid', { position: { x: 12, y: 12 } });
        await page.waitForSelector('#unit-panel:not([hidden])', { timeout: 300_000 });
        await page.click('#bp-gradient');
        await page.waitForSelector(
          `#unit-deconv[data-mode="gradient"]${mode === 'webgpu' ? '[data-engine="webgpu"]' : ''}`,
          { timeout: 300_000 },
        );
        const stat = () =>
          page.evaluate(() =>
            (
              window as unknown as {
                deepvisApp: {
                  stats(): { frames: number; forwardEngine: string; gradientEngine: string };
                };
              }
            ).deepvisApp.stats(),
          );
        await page.waitForTimeout(3000);
        const a = await stat();
        const t = Date.now();
        await page.waitForFunction(
          (f) =>
            (
              window as unknown as { deepvisApp: { stats(): { frames: number } } }
            ).deepvisApp.stats().frames >=
            f + 10,
          a.frames,
          { timeout: 600_000 },
        );
        const b = await stat();
        const fps = ((b.frames - a.frames) * 1000) / (Date.now() - t);
        out[`app_native_${name}_${mode}_backprop_fps`] = {
          value: fps,
          unit: 'frames/s',
          detail: `live view + backprop (gradient) every 5th frame; forwards ${b.forwardEngine}, gradients ${b.gradientEngine}`,
        };
        // Lucid in the unit panel: total seconds of two runs, their difference over the extra steps.
        await page.click('#src-data').catch(() => {});
        await page.selectOption('#opt-method', 'lucid');
        let onGpu = '';
        const lucid = async (steps: number) => {
          await page.fill('#opt-steps', String(steps));
          await page.click('#opt-run');
          await page.waitForSelector('#unit-opt[data-state="done"]', { timeout: 1_800_000 });
          const caption = (await page.textContent('#unit-opt-caption')) ?? '';
          const seconds = Number(await page.getAttribute('#unit-opt', 'data-seconds'));
          onGpu = /(\d+) steps' gradients on WebGPU/.exec(caption)?.[1] ?? '0';
          await page.evaluate(
            () => delete (document.getElementById('unit-opt') as HTMLElement).dataset.state,
          );
          return seconds;
        };
        const [few, many] = lucidSteps(mode);
        const [t1, t2] = [await lucid(few), await lucid(many)];
        out[`app_native_${name}_${mode}_lucid_s_per_step`] = {
          value: (t2 - t1) / (many - few),
          unit: 's/step',
          detail: `${few} steps ${t1}s, ${many} steps ${t2}s (${onGpu} of the last run's on WebGPU); errors: ${errors.length}`,
        };
        process.stderr.write(
          `app native ${name} ${mode}: ${fps.toFixed(2)} frames/s, Lucid ${((t2 - t1) / (many - few)).toFixed(4)} s/step (${b.gradientEngine})${errors.length ? ` errors: ${errors.join('; ')}` : ''}\n`,
        );
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
