/**
 * The live toolbox's defects from issue #15 (numbered as there), each driven in headless Chromium
 * (Debian's, through playwright-core) against the app built by Vite and served by deepvis's own
 * server: a CNN trained here (its folder also holding metrics.json, as `deepvis train` writes it),
 * a random colour model, MNIST served as the data set, and a fake webcam. Screenshots go to
 * test/.artifacts/defect-*.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
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
let url: string;
let browser: Browser;
let page: Page;
let errors: string[];
let probe: ReturnType<typeof probes>;
let digit: { file: string; label: number; pixels: Uint8Array };

const shot = (name: string) =>
  page.screenshot({ path: path.join(artifacts, `defect-${name}.png`), fullPage: true });
const text = (sel: string) => probe.text(sel);
const framesPast = (n: number) => probe.framesPast(n);
const ready = () => probe.ready();
/** Pixels of one colour in a canvas. */
const countColour = (id: string, rgb: [number, number, number]) =>
  page.evaluate(
    ([id, rgb]) => {
      const c = document.getElementById(id as string) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const [r, g, b] = rgb as number[];
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
      return n;
    },
    [id, rgb] as const,
  );

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium`);
  mkdirSync(artifacts, { recursive: true });
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-app-defects-'));
  const { model, test } = await trainMnistCnn();
  await saveLayersModel(model, path.join(dir, 'cnn'), {
    inputRange: [0, 1],
    channelOrder: 'gray',
    logitsLayer: 'logits',
    dataset: 'mnist',
  });
  // A trained model's folder also holds its metrics (JSON without a topology).
  writeFileSync(
    path.join(dir, 'cnn', 'metrics.json'),
    JSON.stringify({ accuracy: 0.9, epochs: 1 }),
  );
  digit = await confidentDigit(model, test, path.join(dir, 'digit.png'));
  const rgb = tf.sequential();
  rgb.add(
    tf.layers.conv2d({
      inputShape: [48, 48, 3],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'rgb_conv1',
    }),
  );
  rgb.add(tf.layers.globalAveragePooling2d({ name: 'rgb_gap' }));
  rgb.add(tf.layers.dense({ units: 5, activation: 'softmax', name: 'rgb_out' }));
  await saveLayersModel(rgb, path.join(dir, 'rgb'), { inputRange: [0, 1], channelOrder: 'rgb' });
  app = await openToolbox(dir, [path.join(dir, 'cnn'), path.join(dir, 'rgb')]);
  ({ url, browser, page, errors } = app);
  probe = probes(page);
});

after(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('live toolbox defects (issue #15)', () => {
  it('17. onboarding: the empty unit column says what to do; one name (Maximize) for the feature', async () => {
    assert.equal(await page.isVisible('#unit-empty'), true);
    assert.match(await text('#unit-empty'), /Click a tile/);
    assert.equal((await text('#opt-run')).trim(), 'Maximize');
    assert.equal((await text('#tab-maximize')).trim(), 'Maximize');
  });

  it('1. the softmax layer keeps the live view running, with no error in the status', async () => {
    await page.click('#src-webcam');
    await framesPast(10);
    await page.click('#layer-strip button:text-is("softmax")');
    await framesPast(10);
    assert.match(await text('#grid-info'), /^softmax: 10 —/);
    assert.doesNotMatch(await text('#status'), /live view|Cannot read/);
    await shot('1-softmax');
    await page.click('#layer-strip button:text-is("conv2")');
    await framesPast(3);
  });

  it('2. changing the model while an optimization or an inversion runs cancels it first', async () => {
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.selectOption('#opt-method', 'lucid');
    await page.fill('#opt-steps', '400');
    await page.click('#opt-run');
    await page.waitForFunction(
      () => (document.getElementById('opt-progress') as HTMLProgressElement).value > 0.02,
      null,
      { timeout: 120_000 },
    );
    await page.selectOption('#model', '1');
    await page.waitForFunction(
      () => /48×48×3/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    await ready();
    assert.doesNotMatch(await text('#status'), /disposed|failed/);
    await page.click('#tab-invert');
    await page.fill('#inv-steps', '400');
    await page.click('#method-run');
    await page.waitForFunction(
      () => (document.getElementById('method-progress') as HTMLProgressElement).value > 0.02,
      null,
      { timeout: 120_000 },
    );
    await page.selectOption('#model', '0');
    await page.waitForFunction(
      () => /28×28×1/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    await ready();
    assert.doesNotMatch(await text('#status'), /disposed|failed/);
    assert.doesNotMatch(await text('#method-info'), /failed|disposed/);
    assert.deepEqual(
      errors.filter((e) => /disposed/.test(e)),
      [],
    );
    await framesPast(5);
  });

  it('3. a whole model folder (model.json, weights.bin, metrics.json) loads, named after its folder', async () => {
    const before = await page.evaluate(
      () => (document.getElementById('model') as HTMLSelectElement).options.length,
    );
    // Picked as files, metrics.json first: the model is the JSON with a topology.
    await page.setInputFiles(
      '#model-files',
      ['metrics.json', 'model.json', 'weights.bin'].map((f) => path.join(dir, 'cnn', f)),
    );
    await page
      .waitForFunction(
        (n) => (document.getElementById('model') as HTMLSelectElement).options.length === n,
        before + 1,
        { timeout: 120_000 },
      )
      .catch(async (e) => {
        throw new Error(`${(e as Error).message}: ${await text('#status')}`);
      });
    // Picked as a folder: the entry is called after the folder.
    await page.setInputFiles('#model-folder', path.join(dir, 'cnn'));
    await page
      .waitForFunction(
        (n) => (document.getElementById('model') as HTMLSelectElement).options.length === n,
        before + 2,
        { timeout: 120_000 },
      )
      .catch(async (e) => {
        throw new Error(`${(e as Error).message}: ${await text('#status')}`);
      });
    const selected = await page.evaluate(() => {
      const s = document.getElementById('model') as HTMLSelectElement;
      return s.options[s.selectedIndex].textContent;
    });
    assert.equal(selected, 'cnn');
    await ready();
  });

  it('4. an added model that fits the served data set gets its top-9 and specificity, computed in the page', async () => {
    await page.waitForFunction(
      () => /scanned in the page/.test(document.getElementById('status')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForSelector('#unit-topk[data-count="9"]', { timeout: 60_000 });
    assert.match(await text('#unit-topk-caption'), /top-9 of 2000 data-set images/);
    await page.waitForFunction(
      () =>
        /specificity: mean activation/.test(
          document.getElementById('unit-spec-caption')!.textContent ?? '',
        ),
      null,
      { timeout: 120_000 },
    );
    await shot('4-added-model-unit');
  });

  it('5. grid keyboard: the cursor has its own announcement and its own frame; one method tab in the Tab order', async () => {
    const ORANGE: [number, number, number] = [255, 140, 0];
    const BLUE: [number, number, number] = [26, 115, 232];
    await page.focus('#grid');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await framesPast(10);
    assert.match(await text('#grid-cursor'), /^unit 2 of \d+ \(Enter opens it\)$/);
    // The open unit (0) is orange, the cursor (2) blue.
    assert.ok((await countColour('grid', ORANGE)) > 0, 'no orange frame for the open unit');
    assert.ok((await countColour('grid', BLUE)) > 0, 'no blue frame for the keyboard cursor');
    await shot('5-cursor');
    const tabStops = await page.evaluate(() =>
      [...document.querySelectorAll('[role=tab]')]
        .filter((t) => (t as HTMLElement).tabIndex === 0)
        .map((t) => t.id),
    );
    assert.deepEqual(tabStops, ['tab-invert']);
  });

  it('6. Freeze says frozen instead of a stale frame rate', async () => {
    await page.click('#freeze');
    await page.waitForFunction(
      () => document.getElementById('fps')!.textContent === 'frozen',
      null,
      { timeout: 10_000 },
    );
    await page.waitForTimeout(300);
    assert.equal(await text('#fps'), 'frozen');
    await page.click('#freeze');
    await page.waitForFunction(
      () => /^\d+(\.\d)? fps$/.test(document.getElementById('fps')!.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
  });

  it('7. a non-image file: the error shows in the input panel, in view, and the old picture goes', async () => {
    await page.setInputFiles('#image-file', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a picture'),
    });
    await page.waitForSelector('#input-error:not([hidden])', { timeout: 10_000 });
    assert.match(await text('#input-error'), /'notes\.txt' is not an image/);
    const box = (await page.locator('#input-error').boundingBox())!;
    assert.ok(box.y + box.height <= 800, `the error is below the fold (y ${box.y})`);
    const ink = await page.evaluate(() => {
      const c = document.getElementById('input-view') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let s = 0;
      for (let i = 3; i < d.length; i += 4) s += d[i];
      return s;
    });
    assert.equal(ink, 0, 'the old picture is still drawn');
    await shot('7-not-an-image');
    await page.setInputFiles('#image-file', digit.file);
    await page.waitForSelector('#input-error[hidden]', { state: 'attached', timeout: 10_000 });
  });

  it('8. an index out of range is refused with the set’s size, which the page shows', async () => {
    await page.click('#src-data');
    await page.waitForFunction(() => (window as any).deepvisApp.stats().source === 'data');
    assert.equal(await text('#data-count'), 'of 2000');
    assert.equal(await page.getAttribute('#data-index', 'max'), '1999');
    assert.equal(await page.isDisabled('#data-prev'), true);
    await page.fill('#data-index', '5000');
    await page.press('#data-index', 'Enter');
    await page.waitForSelector('#input-error:not([hidden])', { timeout: 10_000 });
    assert.match(await text('#input-error'), /no image 5000: the data set has 2000 images, 0–1999/);
    assert.match(await text('#data-label'), /#0\b/);
    assert.equal(await page.inputValue('#data-index'), '0');
    // ◀ Index ▶ and "of N" on one line.
    const ys = await page.evaluate(() =>
      ['data-prev', 'data-index', 'data-count', 'data-next'].map((id) => {
        const r = document.getElementById(id)!.getBoundingClientRect();
        return (r.top + r.bottom) / 2;
      }),
    );
    assert.ok(Math.max(...ys) - Math.min(...ys) < 12, `not on one line: ${ys}`);
    await shot('8-index');
  });

  it('9. the unit panel closes with its button and with Escape', async () => {
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForSelector('#unit-panel:not([hidden])');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#unit-panel', { state: 'hidden' });
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForSelector('#unit-panel:not([hidden])');
    await page.click('#unit-close');
    await page.waitForSelector('#unit-panel', { state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'grid');
  });

  it('10. a 4:3 picture is cropped, not squashed; a small off-centre digit is centred and sized as in MNIST', async () => {
    // 112×84 black, the 28×28 digit shrunk to 20×20 at (30, 44): off-centre and small.
    const small = await sharp(Buffer.from(digit.pixels), {
      raw: { width: 28, height: 28, channels: 1 },
    })
      .resize(20, 20)
      .extractChannel(0)
      .raw()
      .toBuffer();
    assert.equal(small.length, 400);
    const canvas = Buffer.alloc(112 * 84);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 20; x++) canvas[(44 + y) * 112 + 30 + x] = small[y * 20 + x];
    const file = path.join(dir, 'wide-digit.png');
    await sharp(canvas, { raw: { width: 112, height: 84, channels: 1 } })
      .png()
      .toFile(file);
    await page.setInputFiles('#image-file', file);
    await page
      .waitForFunction(
        (l) =>
          (window as any).deepvisApp.stats().source === 'image' &&
          (window as any).deepvisApp.predictions()[0] === l,
        digit.label,
        { timeout: 60_000 },
      )
      .catch(async (e) => {
        await shot('10-digit-fit-failed');
        throw new Error(
          `${(e as Error).message}: label ${digit.label}, page ${JSON.stringify(await page.evaluate(() => ({ p: (window as any).deepvisApp.predictions(), s: (window as any).deepvisApp.stats(), status: document.getElementById('status')!.textContent })))}`,
        );
      });
    const com = await page.evaluate(() => {
      const c = document.getElementById('input-view') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let [m, mx, my] = [0, 0, 0];
      for (let i = 0; i < c.width * c.height; i++) {
        m += d[i * 4];
        mx += (i % c.width) * d[i * 4];
        my += Math.floor(i / c.width) * d[i * 4];
      }
      return { w: c.width, x: mx / m, y: my / m };
    });
    assert.equal(com.w, 28);
    assert.ok(
      Math.abs(com.x - 13.5) < 1.5 && Math.abs(com.y - 13.5) < 1.5,
      `centre of mass at ${com.x.toFixed(1)}, ${com.y.toFixed(1)}`,
    );
    assert.equal(
      await page.isVisible('#raw-figure'),
      true,
      'the raw picture is not shown next to the input',
    );
    await shot('10-digit-fit');
    // Colour model: a 96×48 picture, red | green | blue quarters-half-quarter → the input is all green.
    await page.selectOption('#model', '1');
    await page.waitForFunction(
      () => /48×48×3/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    const bands = Buffer.alloc(96 * 48 * 3);
    for (let y = 0; y < 48; y++)
      for (let x = 0; x < 96; x++) bands[(y * 96 + x) * 3 + (x < 24 ? 0 : x < 72 ? 1 : 2)] = 255;
    const wide = path.join(dir, 'bands.png');
    await sharp(bands, { raw: { width: 96, height: 48, channels: 3 } })
      .png()
      .toFile(wide);
    await page.setInputFiles('#image-file', wide);
    await page.waitForFunction(
      () => {
        const c = document.getElementById('input-view') as HTMLCanvasElement;
        if (c.width !== 48) return false;
        const d = c.getContext('2d')!.getImageData(0, 0, 48, 48).data;
        for (let i = 0; i < d.length; i += 4)
          if (d[i] > 8 || d[i + 1] < 247 || d[i + 2] > 8) return false;
        return true;
      },
      null,
      { timeout: 60_000 },
    );
    await page.selectOption('#model', '0');
    await page.waitForFunction(
      () => /28×28×1/.test(document.getElementById('model-info')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    await ready();
  });

  it('11. a running optimization shows its image as it forms, not the last result', async () => {
    await page.setInputFiles('#image-file', digit.file);
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.selectOption('#opt-method', 'erhan');
    await page.fill('#opt-steps', '20');
    await page.click('#opt-run');
    await page.waitForSelector('#unit-opt[data-state="done"]', { timeout: 120_000 });
    await page.selectOption('#opt-method', 'lucid');
    await page.fill('#opt-steps', '400');
    await page.click('#opt-run');
    // Seen running and cancelled in one turn of the page: a fast run can end between two clicks.
    const seen = await page.waitForFunction(
      () => {
        const caption = document.getElementById('unit-opt-caption')!.textContent ?? '';
        if (!/running, step \d+ of 400/.test(caption)) return false;
        const state = document.getElementById('unit-opt')!.dataset.state;
        document.getElementById('opt-cancel')!.click();
        return state;
      },
      null,
      { timeout: 120_000 },
    );
    assert.equal(await seen.jsonValue(), 'running');
    await page.waitForSelector('#unit-opt[data-state="cancelled"]', { timeout: 120_000 });
    await shot('11-forming');
  });

  it('12. occlusion targets the selected layer and the open unit', async () => {
    // The panel shows conv2's unit 0 (opened above); occlude for it.
    await page.click('#tab-occlusion');
    await page.fill('#occ-size', '7');
    await page.click('#method-run');
    await page.waitForSelector('#method-out[data-state="done"]', { timeout: 120_000 });
    assert.match(
      await text('#method-info'),
      /^occlusion on conv2: unit 0 at \(\d+, \d+\) \(activation/,
    );
    await shot('12-occlusion');
    await page.click('#unit-close');
    await page.click('#method-run');
    await page.waitForFunction(
      () =>
        /^occlusion on conv2: unit \d+ at .*done/.test(
          document.getElementById('method-info')!.textContent ?? '',
        ),
      null,
      { timeout: 120_000 },
    );
  });

  it('16. global shortcuts, listed by `?`: layers, units, open/close, freeze', async () => {
    await page.click('#src-data');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    await page.waitForSelector('#help:not([hidden])');
    assert.ok((await page.locator('#help-list dt').count()) >= 10);
    await shot('16-help');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#help', { state: 'hidden' });
    const pressed = () =>
      page.evaluate(
        () => document.querySelector('#layer-strip button[aria-pressed=true]')!.textContent,
      );
    assert.equal(await pressed(), 'conv2');
    await page.keyboard.press(']');
    assert.equal(await pressed(), 'pool2');
    await page.keyboard.press('[');
    assert.equal(await pressed(), 'conv2');
    await page.keyboard.press('.');
    await page.keyboard.press('.');
    assert.match(await text('#grid-cursor'), /^unit 2 of 32/);
    await page.keyboard.press('o');
    await page.waitForFunction(() =>
      /conv2 — unit 2$/.test(document.getElementById('unit-h')!.textContent ?? ''),
    );
    await page.keyboard.press(',');
    await page.waitForFunction(() =>
      /conv2 — unit 1$/.test(document.getElementById('unit-h')!.textContent ?? ''),
    );
    await page.keyboard.press('o');
    await page.waitForSelector('#unit-panel', { state: 'hidden' });
    await page.keyboard.press('n');
    await page.waitForFunction(() =>
      /#1\b/.test(document.getElementById('data-label')!.textContent ?? ''),
    );
    await page.keyboard.press('f');
    assert.equal(await page.getAttribute('#freeze', 'aria-pressed'), 'true');
    await page.keyboard.press('f');
    // Typing in a field is not a shortcut.
    await page.focus('#data-index');
    await page.keyboard.press(']');
    assert.equal(await pressed(), 'conv2');
  });

  it('14. legibility: whole device pixels per image pixel, framed pictures, a heat-map legend', async () => {
    await page.click('#grid', { position: { x: 12, y: 12 } });
    await page.waitForSelector('#unit-topk[data-count="9"]', { timeout: 60_000 });
    const scales = await page.evaluate(() =>
      ['grid', 'input-view', 'unit-map', 'unit-deconv', 'unit-topk'].map((id) => {
        const c = document.getElementById(id) as HTMLCanvasElement;
        return {
          id,
          k: ((c.getBoundingClientRect().width - 2) * devicePixelRatio) / c.width,
          border: getComputedStyle(c).borderTopWidth,
        };
      }),
    );
    for (const s of scales) {
      assert.ok(
        Math.abs(s.k - Math.round(s.k)) < 0.01 && s.k >= 1,
        `${s.id} is scaled by ${s.k.toFixed(3)}`,
      );
      assert.equal(s.border, '1px', `${s.id} has no frame`);
    }
    // The grid fills most of its panel (drawn large, not left at 1× of a small picture).
    const fill = await page.evaluate(
      () =>
        document.getElementById('grid')!.getBoundingClientRect().width /
        document.getElementById('live-panel')!.clientWidth,
    );
    assert.ok(fill > 0.7, `the grid uses ${(100 * fill).toFixed(0)}% of its panel`);
    assert.equal(await page.isVisible('#unit-map + .legend'), true);
    await shot('14-legible');
    await page.setViewportSize({ width: 400, height: 900 });
    await page.waitForTimeout(400);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a 400px screen`);
    await shot('14-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("the atlas's link (#model=…&layer=…&unit=…) opens that model's unit live", async () => {
    const other = await browser.newPage();
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(`${url}#model=cnn&layer=conv2&unit=3`);
    await other.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await other.waitForSelector('#unit-panel:not([hidden])', { timeout: 60_000 });
    assert.match((await other.textContent('#unit-h')) ?? '', /conv2.*3|3.*conv2/);
    assert.equal(
      await other.evaluate(
        () => document.querySelector('#layer-strip button[aria-pressed=true]')?.textContent,
      ),
      'conv2',
    );
    await other.close();
  });

  it('no console errors in any of it', () => {
    assert.deepEqual(errors, []);
  });
});
