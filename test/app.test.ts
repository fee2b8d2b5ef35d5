/**
 * The live toolbox in headless Chromium (Debian's, through playwright-core), with a fake webcam:
 * the app built by Vite and served by deepvis's own server with a CNN trained here and MNIST. The
 * fake camera's frames change the tiles; a click opens the unit panel with its top-9; an uploaded
 * digit is classified as the CNN classifies it in Node; optimizations run to completion (and
 * cancel); every method view runs; the tensor count is flat over 500 frames; controls are
 * labelled and keyboard-reachable; the page fits a narrow screen. Screenshots go to test/.artifacts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { saveLayersModel } from '../src/io/model_files.js';
import { CHROMIUM } from './chromium.js';
import {
  confidentDigit,
  openToolbox,
  probes,
  trainMnistCnn,
  type OpenToolbox,
} from './app_fixture.js';

const root = path.resolve(import.meta.dirname, '..');
const artifacts = path.join(root, 'test/.artifacts');
let dir: string;
let app: OpenToolbox;
let page: Page;
let probe: ReturnType<typeof probes>;
let digit: { file: string; label: number };

const shot = (name: string) =>
  page.screenshot({ path: path.join(artifacts, `app-${name}.png`), fullPage: true });
const stats = () => probe.stats();
const gridHash = () => probe.canvasHash('grid', 4);

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`,
  );
  mkdirSync(artifacts, { recursive: true });
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-app-'));
  const { model, test } = await trainMnistCnn();
  await saveLayersModel(model, path.join(dir, 'cnn'), {
    inputRange: [0, 1],
    channelOrder: 'gray',
    logitsLayer: 'logits',
    dataset: 'mnist',
  });
  digit = await confidentDigit(model, test, path.join(dir, 'digit.png'));
  // A report for the unit panel to find: conv2's units as `maximize --unit-files` writes them.
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'scripts/deepvis-dev.ts'),
      'maximize',
      '--model',
      path.join(dir, 'cnn'),
      '--layer',
      'conv2',
      '--units',
      '0-3',
      '--neuron',
      'center',
      '--steps',
      '20',
      '--restarts',
      '1',
      '--out',
      path.join(dir, 'max'),
      '--unit-files',
      path.join(dir, 'cnn', 'report'),
      '--quiet',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  // A colour model too (random weights): the RGB input path, and a model the data set does not fit.
  const rgb = tf.sequential();
  rgb.add(
    tf.layers.conv2d({
      inputShape: [48, 48, 3],
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'rgb_conv1',
    }),
  );
  rgb.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'rgb_pool1' }));
  rgb.add(
    tf.layers.conv2d({
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'rgb_conv2',
    }),
  );
  rgb.add(tf.layers.globalAveragePooling2d({ name: 'rgb_gap' }));
  rgb.add(tf.layers.dense({ units: 5, activation: 'softmax', name: 'rgb_out' }));
  await saveLayersModel(rgb, path.join(dir, 'rgb'), { inputRange: [0, 1], channelOrder: 'rgb' });
  app = await openToolbox(dir, [path.join(dir, 'cnn'), path.join(dir, 'rgb')]);
  page = app.page;
  probe = probes(page);
});

after(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deepvis serve: the live toolbox in headless Chromium', () => {
  it('the fake webcam’s frames change the activation tiles, live, with the frame rate shown', async () => {
    await page.click('#src-webcam');
    await page.waitForFunction(() => (window as any).deepvisApp.stats().frames > 20, null, {
      timeout: 120_000,
    });
    const a = await gridHash();
    await page.waitForTimeout(700);
    const b = await gridHash();
    assert.notEqual(a, b, 'the tiles did not change between webcam frames');
    assert.match((await page.textContent('#fps')) ?? '', /^\d+(\.\d)? fps$/);
    const s = await stats();
    writeFileSync(
      path.join(artifacts, 'app-stats.json'),
      JSON.stringify({ liveFps: s.fps, backend: s.backend }, null, 2),
    );
    await shot('live-webcam');
  });

  it('no tensor leak across 500 frames', async () => {
    const start = await stats();
    await page.waitForFunction(
      (f) => (window as any).deepvisApp.stats().frames >= f + 500,
      start.frames,
      { timeout: 180_000 },
    );
    const end = await stats();
    assert.equal(
      end.numTensors,
      start.numTensors,
      `tensors ${start.numTensors} → ${end.numTensors} over ${end.frames - start.frames} frames`,
    );
  });

  it('clicking a tile opens the unit panel: activation map, deconvnet, 9 top images, specificity, the report’s optimized image', async () => {
    await page.click('#freeze');
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForSelector('#unit-topk[data-count="9"]', { timeout: 60_000 });
    assert.equal(await page.isHidden('#unit-panel'), false);
    assert.match(
      (await page.textContent('#unit-topk-caption')) ?? '',
      /top-9 of 2000 data-set images, receptive field \d+×\d+/,
    );
    await page.waitForFunction(
      () =>
        /specificity: mean activation/.test(
          document.getElementById('unit-spec-caption')!.textContent ?? '',
        ),
      null,
      { timeout: 60_000 },
    );
    // conv2 unit 0 is in the model's report: its optimized image is shown without computing.
    await page.waitForSelector('#unit-opt[data-state="report"]', { timeout: 60_000 });
    await shot('unit-panel');
    await page.click('#freeze');
  });

  it('an uploaded digit is classified as the CNN classifies it in Node', async () => {
    await page.setInputFiles('#image-file', digit.file);
    await page.waitForFunction(
      (l) => (window as any).deepvisApp.predictions()[0] === l,
      digit.label,
      { timeout: 60_000 },
    );
    await shot('upload');
    // Invert (dark ink on paper for an MNIST model): the picture the model sees turns light.
    const brightness = () =>
      page.evaluate(() => {
        const c = document.getElementById('input-view') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let s = 0;
        for (let i = 0; i < d.length; i += 4) s += d[i];
        return s / (d.length / 4);
      });
    const dark = await brightness();
    await page.click('#invert');
    await page.waitForFunction(
      (b) => {
        const c = document.getElementById('input-view') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let s = 0;
        for (let i = 0; i < d.length; i += 4) s += d[i];
        return s / (d.length / 4) > 255 - b - 1;
      },
      dark,
      { timeout: 10_000 },
    );
    assert.equal(await page.getAttribute('#invert', 'aria-pressed'), 'true');
    await page.click('#invert');
    await page.waitForFunction(
      (l) => (window as any).deepvisApp.predictions()[0] === l,
      digit.label,
      { timeout: 60_000 },
    );
    assert.ok((await brightness()) < 128);
  });

  it('a pasted image, a dropped image and a video file are inputs too', async () => {
    const png = (await import('node:fs')).readFileSync(digit.file).toString('base64');
    // Paste: a ClipboardEvent carrying the digit.
    await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'pasted.png', { type: 'image/png' }));
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt }));
    }, png);
    await page.waitForFunction(
      (l) =>
        (window as any).deepvisApp.stats().source === 'image' &&
        (window as any).deepvisApp.predictions()[0] === l,
      digit.label,
      { timeout: 60_000 },
    );
    // Drop: onto the input view, after switching away to the data set.
    await page.click('#src-data');
    await page.waitForFunction(() => (window as any).deepvisApp.stats().source === 'data');
    await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));
      document
        .getElementById('dropzone')!
        .dispatchEvent(
          new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
    }, png);
    await page.waitForFunction(
      (l) =>
        (window as any).deepvisApp.stats().source === 'image' &&
        (window as any).deepvisApp.predictions()[0] === l,
      digit.label,
      { timeout: 60_000 },
    );
    // A video file: one recorded in the page from a moving canvas, handed to the file picker.
    await page.evaluate(async () => {
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 64;
      const g = c.getContext('2d')!;
      const rec = new MediaRecorder(c.captureStream(25), { mimeType: 'video/webm' });
      const parts: Blob[] = [];
      rec.ondataavailable = (e) => parts.push(e.data);
      const done = new Promise((r) => (rec.onstop = r));
      rec.start();
      for (let i = 0; i < 30; i++) {
        g.fillStyle = '#000';
        g.fillRect(0, 0, 64, 64);
        g.fillStyle = '#fff';
        g.fillRect(8 + i, 20, 12, 24);
        await new Promise((r) => setTimeout(r, 40));
      }
      rec.stop();
      await done;
      const dt = new DataTransfer();
      dt.items.add(new File(parts, 'moving.webm', { type: 'video/webm' }));
      const input = document.getElementById('video-file') as HTMLInputElement;
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForFunction(() => (window as any).deepvisApp.stats().source === 'video', null, {
      timeout: 60_000,
    });
    const v0 = (await stats()).frames;
    await page.waitForFunction((f) => (window as any).deepvisApp.stats().frames > f + 5, v0, {
      timeout: 60_000,
    });
    await shot('video');
  });

  it('the unit’s optimized image runs to completion in the page, and Cancel stops a long one', async () => {
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.fill('#opt-steps', '40');
    await page.click('#opt-run');
    await page.waitForSelector('#unit-opt[data-state="done"]', { timeout: 120_000 });
    assert.match(
      (await page.textContent('#unit-opt-caption')) ?? '',
      /Erhan \(centre neuron, its receptive field\): activation -?\d/,
    );
    await page.selectOption('#opt-method', 'lucid');
    await page.fill('#opt-steps', '400');
    await page.click('#opt-run');
    await page.waitForFunction(
      () => (document.getElementById('opt-progress') as HTMLProgressElement).value > 0.02,
      null,
      { timeout: 120_000 },
    );
    await page.click('#opt-cancel');
    await page.waitForSelector('#unit-opt[data-state="cancelled"]', { timeout: 120_000 });
    await shot('unit-optimized');
  });

  it('method views: maximize, DeepDream, inversion and occlusion run on the current input', async () => {
    await page.click('#src-data');
    await page.click('#data-next');
    await page.waitForFunction(() =>
      /#1/.test(document.getElementById('data-label')!.textContent ?? ''),
    );
    for (const [view, tune] of [
      ['maximize', ['#max-steps', '30']],
      ['dream', ['#dream-steps', '4']],
      ['invert', ['#inv-steps', '40']],
      ['occlusion', ['#occ-size', '7']],
    ] as const) {
      await page.click(`#tab-${view}`);
      await page.fill(tune[0], tune[1]);
      await page.click('#method-run');
      await page.waitForSelector('#method-out[data-state="done"]', { timeout: 120_000 });
      const info = (await page.textContent('#method-info')) ?? '';
      assert.ok(info.startsWith(`${view} on `), info);
      await shot(`method-${view}`);
      await page.evaluate(
        () => delete (document.getElementById('method-out') as HTMLElement).dataset.state,
      );
    }
  });

  it('keyboard: the grid takes focus, arrows move, Enter opens a unit; every control is labelled', async () => {
    await page.focus('#grid');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      /unit \d+$/.test(document.getElementById('unit-h')!.textContent ?? ''),
    );
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('button, input, select, canvas[tabindex], [role=tab]')]
        .filter((el) => {
          const e = el as HTMLInputElement;
          const name =
            (e.labels?.length ? e.labels[0].textContent : '') ||
            e.getAttribute('aria-label') ||
            e.textContent;
          return !name?.trim();
        })
        .map((el) => el.id || el.outerHTML.slice(0, 60)),
    );
    assert.deepEqual(unlabelled, []);
    // Focus is visible: the focused control gets an outline.
    await page.focus('#src-data');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement!).outlineStyle,
    );
    assert.notEqual(outline, 'none');
  });

  it('a model dropped into the page is loaded and used', async () => {
    await page.setInputFiles('#model-files', [
      path.join(dir, 'cnn', 'model.json'),
      path.join(dir, 'cnn', 'weights.bin'),
    ]);
    await page.waitForFunction(
      () =>
        /model ready/.test(document.getElementById('status')!.textContent ?? '') &&
        (document.getElementById('model') as HTMLSelectElement).options.length === 3,
      null,
      { timeout: 120_000 },
    );
    await page.setInputFiles('#image-file', digit.file);
    await page
      .waitForFunction((l) => (window as any).deepvisApp.predictions()[0] === l, digit.label, {
        timeout: 60_000,
      })
      .catch(async (e) => {
        const info = await page.evaluate(() => ({
          status: document.getElementById('status')!.textContent,
          p: (window as any).deepvisApp.predictions(),
          s: (window as any).deepvisApp.stats(),
        }));
        throw new Error(
          `${(e as Error).message}: label ${digit.label}, page ${JSON.stringify(info)}`,
        );
      });
  });

  it('an ONNX file (with external data) and a Keras file dropped into the page load and run', async () => {
    const fixtures = path.join(root, 'test/fixtures');
    const options = () =>
      page.evaluate(() => (document.getElementById('model') as HTMLSelectElement).options.length);
    for (const [files, format, shape] of [
      [
        [
          path.join(fixtures, 'onnx/resnet-mini-ext.onnx'),
          path.join(fixtures, 'onnx/resnet-mini-ext.weights'),
        ],
        'onnx',
        '32×32×3',
      ],
      [[path.join(fixtures, 'keras/mobile_k213.h5')], 'keras', ''],
    ] as const) {
      const n = await options();
      await page.setInputFiles('#model-files', [...files]);
      await page
        .waitForFunction(
          ([count, f, s]) =>
            (document.getElementById('model') as HTMLSelectElement).options.length === count &&
            new RegExp(`^${f} model, input ${s}`).test(
              document.getElementById('model-info')!.textContent ?? '',
            ) &&
            /model ready/.test(document.getElementById('status')!.textContent ?? ''),
          [n + 1, format, shape] as const,
          { timeout: 120_000 },
        )
        .catch(async (e) => {
          throw new Error(
            `${(e as Error).message}: ${await page.evaluate(() => document.getElementById('status')!.textContent)}`,
          );
        });
      await page.waitForFunction(() => (window as any).deepvisApp.predictions().length > 0, null, {
        timeout: 60_000,
      });
      await shot(`dropped-${format}`);
    }
    await page.selectOption('#model', '0');
    await page.waitForFunction(
      () => /28×28×1/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
  });

  it('a colour model runs live on the webcam too (RGB input, no top-k index since MNIST does not fit it)', async () => {
    await page.selectOption('#model', '1');
    await page.waitForFunction(
      () =>
        /model ready/.test(document.getElementById('status')!.textContent ?? '') &&
        /48×48×3/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    await page.click('#src-webcam');
    const start = (await stats()).frames;
    await page.waitForFunction((f) => (window as any).deepvisApp.stats().frames > f + 20, start, {
      timeout: 120_000,
    });
    const a = await gridHash();
    await page.waitForTimeout(700);
    assert.notEqual(await gridHash(), a, 'the colour model’s tiles did not change');
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForFunction(
      () => /no index/.test(document.getElementById('unit-topk-caption')!.textContent ?? ''),
      null,
      { timeout: 60_000 },
    );
    await shot('colour-model');
    await page.selectOption('#model', '0');
    await page.waitForFunction(
      () => /28×28×1/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
  });

  it('fits a narrow screen with no horizontal scrolling', async () => {
    await page.setViewportSize({ width: 400, height: 900 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a 400px screen`);
    await shot('narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('no console errors in any of it', () => {
    assert.deepEqual(app.errors, []);
  });

  it('`deepvis serve` on a missing model: one line, exit 1', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'scripts/deepvis-dev.ts'),
        'serve',
        '--model',
        '/nonexistent/m',
        '--port',
        '0',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /model not found: \/nonexistent\/m/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('`deepvis serve` prints its URL and serves the config', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'scripts/deepvis-dev.ts'),
        'serve',
        '--model',
        path.join(dir, 'cnn'),
        '--port',
        '0',
        '--cache',
        path.join(dir, 'cache'),
      ],
      { cwd: root },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /serving 1 model\(s\) at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
        setTimeout(() => reject(new Error(`no URL after 120 s: ${out}`)), 120_000).unref();
      });
      const config = (await (await fetch(`${line}api/config`)).json()) as {
        models: Array<{ name: string }>;
      };
      assert.deepEqual(
        config.models.map((m) => m.name),
        ['cnn'],
      );
      const html = await (await fetch(line)).text();
      assert.match(html, /deepvis — live toolbox/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
