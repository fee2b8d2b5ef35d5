/**
 * `deepvis report` end to end: a tiny CNN trained briefly here (with two checkpoints saved from
 * fitClassifier's onEpoch), reported from the CLI with its history, then opened from file:// in
 * Debian's Chromium: model → layer → unit → history, with no console error, every image loaded,
 * every link of the site resolving, and the keys (← → between units, j/k between layers) working.
 * Screenshots at 1280×800 and 400 px wide go to test/.artifacts. Also the CLI's bad input (one
 * line, no index.html) and `train --snapshots`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { loadMnist } from '../src/data/mnist.js';
import { split } from '../src/data/dataset.js';
import { fitClassifier } from '../src/train/fit.js';
import { saveLayersModel } from '../src/io/model_files.js';
import { setup } from './helpers.js';
import { launchChromium, CHROMIUM } from './chromium.js';

const root = path.resolve(import.meta.dirname, '..');
const artifacts = path.join(root, 'test/.artifacts');
let dir: string;
let site: string;
let browser: Browser;
let page: Page;
const errors: string[] = [];

function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    { cwd: root, encoding: 'utf8', timeout: 600_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tiny(): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      name: 'conv1',
      inputShape: [28, 28, 1],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      name: 'conv2',
      filters: 6,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(2),
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  m.add(tf.layers.flatten({ name: 'flatten' }));
  m.add(
    tf.layers.dense({ name: 'dense1', units: 8, activation: 'relu', kernelInitializer: init(3) }),
  );
  m.add(tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: init(4) }));
  m.add(tf.layers.activation({ name: 'softmax', activation: 'softmax' }));
  return m;
}

const meta = {
  inputRange: [0, 1] as [number, number],
  channelOrder: 'gray' as const,
  logitsLayer: 'logits',
  dataset: 'mnist',
};
const FAST = [
  '--erhan-steps',
  '12',
  '--erhan-restarts',
  '1',
  '--lucid-steps',
  '12',
  '--yosinski-steps',
  '12',
  '--diverse-steps',
  '8',
  '--embed-count',
  '120',
  '--quiet',
];

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`,
  );
  mkdirSync(artifacts, { recursive: true });
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-report-site-'));
  await setup('wasm');
  const { train, test } = split(loadMnist(), 0.2, 0);
  const model = tiny();
  // Checkpoints after each epoch, as `train --snapshots` keeps them: the history's rows.
  await fitClassifier(model, { ...train, count: 1500 }, { ...test, count: 300 }, 10, {
    epochs: 2,
    onEpoch: (e) => saveLayersModel(model, path.join(dir, 'ckpts', `epoch-${e.epoch}`), meta),
  });
  await saveLayersModel(model, path.join(dir, 'cnn'), meta);
  site = path.join(dir, 'site');
  const r = deepvis(
    'report',
    '--model',
    path.join(dir, 'cnn'),
    '--history',
    path.join(dir, 'ckpts'),
    '--history-units',
    'conv2:0,dense1:1',
    ...FAST,
    '--out',
    site,
  );
  assert.equal(r.code, 0, r.stderr);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (q) => errors.push(`failed: ${q.url()}`));
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const shot = (name: string) =>
  page.screenshot({
    path: path.join(artifacts, `report-${name}.png`),
    fullPage: name.endsWith('full'),
  });
const here = () => decodeURIComponent(new URL(page.url()).pathname).slice(site.length + 1);

async function imagesLoaded(): Promise<void> {
  const bad = await page.evaluate(async () => {
    const imgs = Array.from(document.images);
    await Promise.all(
      imgs.map((i) =>
        i.complete
          ? null
          : new Promise((r) => {
              i.onload = i.onerror = r;
            }),
      ),
    );
    return {
      count: imgs.length,
      broken: imgs.filter((i) => !(i.naturalWidth > 0)).map((i) => i.src),
      noAlt: imgs.filter((i) => !i.alt).length,
    };
  });
  assert.deepEqual(bad.broken, [], 'images that did not load');
  assert.equal(bad.noAlt, 0, 'images without alt text');
}

async function key(k: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.keyboard.press(k)]);
}

describe('deepvis report: the site from file:// in Chromium', () => {
  it('model page → layer page (sort, filter, j/k) → unit page (←/→, j) → history', async () => {
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href);
    assert.match((await page.textContent('h1')) ?? '', /deepvis atlas/);
    assert.match(
      (await page.textContent('main')) ?? '',
      /accuracy on the data set\s*\d+\.\d+% of 2000 images/,
    );
    await shot('model');
    await Promise.all([page.waitForNavigation(), page.click('table a[href="layers/conv1.html"]')]);
    assert.equal(here(), 'layers/conv1.html');
    await imagesLoaded();
    assert.equal(await page.locator('#tiles figure').count(), 4);
    await page.selectOption('#sort', 'activation');
    const acts = await page.$$eval('#tiles figure', (fs) =>
      fs.map((f) => Number((f as HTMLElement).dataset.activation)),
    );
    assert.deepEqual(
      acts,
      [...acts].sort((a, b) => b - a),
      'sorted by activation, highest first',
    );
    await page.selectOption('#filter', 'dead');
    const dead = await page.$$eval('#tiles figure:not(.hidden)', (fs) =>
      fs.map((f) => (f as HTMLElement).dataset.dead),
    );
    assert.ok(dead.every((d) => d === 'true'));
    await page.selectOption('#filter', 'all');
    await shot('layer');
    await key('j');
    assert.equal(here(), 'layers/conv2.html');
    await key('k');
    assert.equal(here(), 'layers/conv1.html');
    await Promise.all([page.waitForNavigation(), page.click('#tiles figure[data-unit="0"] a')]);
    assert.equal(here(), 'units/conv1/0.html');
    await imagesLoaded();
    for (const id of ['methods', 'diverse', 'top', 'deconv', 'negative', 'specificity', 'feeds'])
      assert.ok(await page.locator(`section#${id}`).count(), `section ${id}`);
    assert.equal(await page.locator('section#top figure').count(), 9);
    assert.equal(await page.locator('section#diverse figure').count(), 4);
    await shot('unit-full');
    await key('ArrowRight');
    assert.equal(here(), 'units/conv1/1.html');
    await key('ArrowLeft');
    assert.equal(here(), 'units/conv1/0.html');
    await key('j');
    assert.equal(here(), 'units/conv2/0.html');
    await imagesLoaded();
    const rows = page.locator('section#history .row');
    assert.equal(await rows.count(), 2, 'a row per checkpoint');
    assert.match((await rows.first().textContent()) ?? '', /accuracy\s*\d+\.\d+%/);
    assert.equal(await rows.first().locator('img').count(), 10, 'feature visualization + top-9');
    await page.locator('section#history').scrollIntoViewIfNeeded();
    await shot('history');
    await page.setViewportSize({ width: 400, height: 800 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 1, `page wider than 400 px by ${overflow}`);
    await shot('unit-400-full');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(errors, []);
  });

  it('every link and image of every page resolves to a file of the site', () => {
    const pages: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.html')) pages.push(path.join(d, e.name));
      }
    };
    walk(site);
    assert.ok(pages.length >= 1 + 4 + 28, `${pages.length} pages`);
    let links = 0;
    for (const p of pages) {
      for (const m of readFileSync(p, 'utf8').matchAll(/(?:href|src)="([^"]+)"/g)) {
        if (/^https?:/.test(m[1])) continue;
        const target = path.resolve(
          path.dirname(p),
          m[1].replace(/#.*$/, '').replace(/&amp;/g, '&'),
        );
        assert.ok(
          target.startsWith(site) && statSync(target, { throwIfNoEntry: false })?.isFile(),
          `${path.relative(site, p)} → ${m[1]}`,
        );
        links++;
      }
    }
    assert.ok(links > 500, `${links} links`);
  });
});

describe('deepvis report: bad input leaves no site', () => {
  it('unknown layer, --shard 3/2, a history of another architecture: one line each, no index.html', async () => {
    const other = tf.sequential();
    other.add(
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [28, 28, 1],
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
      }),
    );
    other.add(tf.layers.flatten({ name: 'flatten' }));
    other.add(tf.layers.dense({ name: 'logits', units: 10 }));
    await saveLayersModel(other, path.join(dir, 'other'), meta);
    const cases: Array<[string[], RegExp]> = [
      [['--layers', 'conv9'], /conv9/],
      [['--shard', '3/2'], /--shard 3\/2/],
      [
        ['--history', `${path.join(dir, 'ckpts', 'epoch-1')},${path.join(dir, 'other')}`],
        /other has a different architecture/,
      ],
    ];
    for (const [extra, message] of cases) {
      const out = path.join(dir, `bad-${extra[0].slice(2)}`);
      const r = deepvis(
        'report',
        '--model',
        path.join(dir, 'cnn'),
        ...extra,
        ...FAST,
        '--out',
        out,
      );
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(path.join(out, 'index.html')), 'no index.html');
    }
  });

  it('--workers 2 (two --shard processes and --merge) writes the pages of one run', () => {
    const small = ['--layers', 'conv1,logits', '--group-size', '4', ...FAST];
    const one = path.join(dir, 'one');
    const two = path.join(dir, 'two');
    assert.equal(
      deepvis('report', '--model', path.join(dir, 'cnn'), ...small, '--out', one).code,
      0,
    );
    const r = deepvis(
      'report',
      '--model',
      path.join(dir, 'cnn'),
      ...small,
      '--workers',
      '2',
      '--out',
      two,
    );
    assert.equal(r.code, 0, r.stderr);
    const computed = /computed \d+ artifacts \(([^)]*)\)/.exec(r.stdout)?.[1] ?? '';
    assert.match(computed, /examples/, r.stdout);
    assert.doesNotMatch(computed, /vis-|scan/, 'the merge computes no image and no scan');
    const pages = (d: string) =>
      readdirSync(d, { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.(html|json)$/.test(f) && !f.startsWith('a/') && f !== 'report-run.json')
        .sort();
    assert.deepEqual(pages(two), pages(one));
    for (const f of pages(one))
      assert.equal(
        readFileSync(path.join(two, f), 'utf8'),
        readFileSync(path.join(one, f), 'utf8'),
        f,
      );
    assert.ok(!existsSync(path.join(two, '.shards')));
    const bad = deepvis(
      'report',
      '--merge',
      path.join(dir, 'one'),
      '--out',
      path.join(dir, 'three'),
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not a finished report shard/);
  });

  it('train --snapshots keeps a checkpoint per listed epoch', async () => {
    const data = path.join(dir, 'digits');
    const { test } = split(loadMnist(), 0.2, 0);
    for (let i = 0; i < 12; i++) {
      const cls = path.join(data, String(test.labels![i] % 2));
      mkdirSync(cls, { recursive: true });
      await sharp(
        Buffer.from(test.images.subarray(i * 784, (i + 1) * 784).map((v) => Math.round(v * 255))),
        { raw: { width: 28, height: 28, channels: 1 } },
      )
        .png()
        .toFile(path.join(cls, `${i}.png`));
    }
    const out = path.join(dir, 'snap');
    const r = deepvis(
      'train',
      '--arch',
      'mlp',
      '--data',
      data,
      '--epochs',
      '2',
      '--snapshots',
      '1,2',
      '--out',
      out,
      '--quiet',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(path.join(out, 'snapshots')).sort(), ['epoch-1', 'epoch-2']);
    assert.ok(existsSync(path.join(out, 'snapshots', 'epoch-1', 'model.json')));
    const bad = deepvis(
      'train',
      '--arch',
      'mlp',
      '--data',
      data,
      '--epochs',
      '2',
      '--snapshots',
      '3',
      '--out',
      path.join(dir, 'snap2'),
      '--quiet',
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--snapshots 3: epochs run from 1 to 2/);
  });
});
