/**
 * The Keras loader in a real browser: Vite bundles web/keras-check (h5wasm's ESM build, fflate and
 * the loader as the web app imports them), a local server hands out the fixtures, and headless
 * Chromium (Debian's, through playwright-core) loads each from bytes in memory — as a dropped file —
 * and compares its output with the NumPy reference; a weights-only file fails with its one line.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { launchChromium, serveFiles } from '../../../../test/chromium.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const fixtures = path.join(root, 'test/fixtures/keras');
const FILES = [
  'seq_k22.h5',
  'mobile_k213.h5',
  'mobile_k3.keras',
  'seq_k3.keras',
  'transfer_k215.h5',
  'block_k3.keras',
  'transfer_tfk215.keras',
  'half_k212.h5',
  'se_k211.h5',
  'se_k3.keras',
];
let dir: string;
let server: Server;
let browser: Browser;
let base: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-keras-browser-'));
  await build({
    configFile: path.join(root, 'web/keras-check/vite.config.ts'),
    build: { outDir: dir, emptyOutDir: true },
    logLevel: 'error',
  });
  // Fixtures by base name; the site below its folder (normalizing '/…' cannot climb above it).
  ({ server, base } = await serveFiles((rel) =>
    rel.startsWith('/fixtures/')
      ? path.join(fixtures, path.basename(rel))
      : path.join(dir, path.posix.normalize(rel)),
  ));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Keras loader in headless Chromium', () => {
  it('loads .h5 and .keras files from memory and matches the reference', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/?files=${FILES.join(',')}&bad=weights_only.h5`);
    await page.waitForFunction(
      () => (window as any).kerasResult || (window as any).kerasError,
      null,
      { timeout: 120_000 },
    );
    assert.equal(await page.evaluate(() => (window as any).kerasError), undefined);
    const { results, badError } = await page.evaluate(() => (window as any).kerasResult);
    assert.deepEqual(
      results.map((r: { file: string }) => r.file),
      FILES,
    );
    for (const r of results)
      assert.ok(r.relDiff <= 1e-4, `${r.file}: relative difference ${r.relDiff}`);
    assert.equal(
      badError,
      'DeepvisError: weights_only.h5: no model_config: this file holds weights only; save the whole model',
    );
    await page.close();
  });
});
