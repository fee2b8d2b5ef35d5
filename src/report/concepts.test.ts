/**
 * The atlas's concept pages (report --concepts) on a model whose concepts are known by construction
 * (test/fixtures/linear_head.ts: red and green channels, class logits 1·red + 2·green + 0.5 and
 * 2·red + 1·green): the class pages carry each concept's part of the logit and its alignment worked
 * out by hand (class 0: red 29.6% and 1/√5, green 59.3% and 2/√5), unit 0 of the layer (red) links
 * to the red concepts of both classes and unit 1 to the green ones, a concept's nearest concept of
 * the other class is the same colour (cosine 1), a second run reuses every class's artifact, and
 * the site opens from file:// in Chromium with every image and link resolving (screenshots in
 * test/.artifacts/report-concepts-*.png).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ImageSet } from '../data/dataset.js';
import type { VisModel } from '../model/types.js';
import { linearHeadData, linearHeadModel } from '../../test/fixtures/linear_head.js';
import { launchChromium } from '../../test/chromium.js';
import { setup } from '../../test/helpers.js';
import { computeReport } from './build.js';
import { planReport } from './plan.js';
import { ArtifactStore } from './store.js';

const root = path.resolve(import.meta.dirname, '../..');
const artifacts = path.join(root, 'test/.artifacts');
let dir: string;
let model: VisModel;
let set: ImageSet;

before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-concept-atlas-'));
  model = linearHeadModel();
  set = linearHeadData();
});
after(() => rm(dir, { recursive: true, force: true }));

async function build(sub: string) {
  const store = new ArtifactStore(path.join(dir, sub));
  const site = await computeReport({
    model,
    modelPath: 'linear-head',
    hash: 'linear-head',
    plan: planReport(model, {
      layers: ['conv'],
      groupSize: 2,
      k: 3,
      embedCount: 20,
      methods: {
        erhan: { steps: 4, restarts: 1 },
        lucid: { steps: 4 },
        diverse: { steps: 3, perUnit: 1 },
      },
    }),
    store,
    data: { set, spec: 'mixes' },
    concepts: { k: 2, importanceImages: 12, vis: { method: 'lucid', steps: 24 } },
  });
  return { store, site: site! };
}

interface ClassJson {
  cls: number;
  concepts: Array<{ id: number; direction: number[]; logitPercent: number; alignment: number }>;
}

describe('report --concepts', () => {
  let site: Awaited<ReturnType<typeof build>>['site'];
  const colour = (j: ClassJson, channel: 0 | 1) =>
    j.concepts.find((c) => c.direction[channel] > 0.999)!;

  before(async () => {
    const first = await build('one');
    site = first.site;
    assert.equal(first.store.computed['concepts-class'], 2);
    assert.equal(first.store.computed['concepts-overview'], 1);
  });

  it('class pages: part of the logit and alignment as worked out by hand', () => {
    const c0 = JSON.parse(site.files.get('concepts/class-0.json')!) as ClassJson;
    const c1 = JSON.parse(site.files.get('concepts/class-1.json')!) as ClassJson;
    const near = (v: number, want: number, tol: number, what: string) =>
      assert.ok(Math.abs(v - want) < tol, `${what}: ${v} vs ${want}`);
    near(colour(c0, 0).logitPercent, (100 * 16) / 54, 0.2, 'class 0 red % of logit');
    near(colour(c0, 1).logitPercent, (100 * 32) / 54, 0.2, 'class 0 green % of logit');
    near(colour(c1, 0).logitPercent, (100 * 32) / 48, 0.2, 'class 1 red % of logit');
    near(colour(c0, 0).alignment, 1 / Math.sqrt(5), 1e-3, 'class 0 red alignment');
    near(colour(c0, 1).alignment, 2 / Math.sqrt(5), 1e-3, 'class 0 green alignment');
    near(colour(c1, 0).alignment, 2 / Math.sqrt(5), 1e-3, 'class 1 red alignment');
    const html = site.files.get('concepts/class-0.html')!;
    assert.match(html, /29\.6%/);
    assert.match(html, /59\.3%/);
    // The rest of the logit is the head's bias: 6 of 54.
    assert.match(html, /the rest \(head bias, unreconstructed part\)<\/dt><dd>11\.1%/);
  });

  it('unit pages link to the concepts that use the unit most; concept pages to the nearest concept', () => {
    const c0 = JSON.parse(site.files.get('concepts/class-0.json')!) as ClassJson;
    const c1 = JSON.parse(site.files.get('concepts/class-1.json')!) as ClassJson;
    for (const channel of [0, 1] as const) {
      const html = site.files.get(`units/conv/${channel}.html`)!;
      const section = /<section id="concepts">(.*?)<\/section>/s.exec(html)?.[1] ?? '';
      const links = [...section.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(
        links.slice(0, 2).sort(),
        [
          `../../concepts/class-0/concept-${colour(c0, channel).id}.html`,
          `../../concepts/class-1/concept-${colour(c1, channel).id}.html`,
        ],
        `unit ${channel}: ${links}`,
      );
    }
    const red = JSON.parse(
      site.files.get(`concepts/class-0/concept-${colour(c0, 0).id}.json`)!,
    ) as { nearest: Array<{ class: number; concept: number; cosine: number }> };
    assert.equal(red.nearest[0].class, 1);
    assert.equal(red.nearest[0].concept, colour(c1, 0).id);
    assert.ok(red.nearest[0].cosine > 0.999);
  });

  it('a second run reuses every class', async () => {
    const again = await build('one');
    assert.equal(again.store.computed['concepts-class'] ?? 0, 0);
    assert.deepEqual([...again.site.files], [...site.files]);
  });

  it('opens from file:// in Chromium: images load, links resolve, no console error', async () => {
    const out = path.join(dir, 'one');
    for (const [rel, text] of site.files) {
      await mkdir(path.dirname(path.join(out, rel)), { recursive: true });
      await writeFile(path.join(out, rel), text);
    }
    await writeFile(path.join(out, 'index.html'), site.index);
    mkdirSync(artifacts, { recursive: true });
    let browser: Browser | null = null;
    try {
      browser = await launchChromium();
      const page = await (
        await browser.newContext({ viewport: { width: 1280, height: 800 } })
      ).newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('requestfailed', (q) => errors.push(`failed: ${q.url()}`));
      const c0 = JSON.parse(site.files.get('concepts/class-0.json')!) as ClassJson;
      for (const [rel, shot] of [
        ['index.html', 'model'],
        ['concepts/index.html', 'index'],
        ['concepts/class-0.html', 'class'],
        [`concepts/class-0/concept-${colour(c0, 0).id}.html`, 'concept'],
        ['units/conv/0.html', 'unit'],
      ]) {
        await page.goto(pathToFileURL(path.join(out, rel)).href);
        const bad = await page.evaluate(async () => {
          const imgs = Array.from(document.images);
          await Promise.all(
            imgs.map((i) => (i.complete ? null : new Promise((r) => (i.onload = i.onerror = r)))),
          );
          return imgs.filter((i) => !(i.naturalWidth > 0) || !i.alt).map((i) => i.src);
        });
        assert.deepEqual(bad, [], `${rel}: images that did not load or have no alt text`);
        const hrefs = await page.$$eval('a[href]', (as) =>
          as.map((a) => (a as HTMLAnchorElement).href),
        );
        for (const h of hrefs.filter((h) => h.startsWith('file:'))) {
          const file = decodeURIComponent(new URL(h).pathname);
          assert.ok(
            existsSync(file) && statSync(file).isFile(),
            `${rel} links to a missing ${file}`,
          );
        }
        await page.screenshot({
          path: path.join(artifacts, `report-concepts-${shot}.png`),
          fullPage: true,
        });
      }
      assert.deepEqual(errors, []);
      assert.match(readFileSync(path.join(out, 'index.html'), 'utf8'), /concepts\/index\.html/);
    } finally {
      await browser?.close();
    }
  });
});
