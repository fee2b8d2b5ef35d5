/**
 * `deepvis serve` checks every request when it is made, not only at startup (severe 7: a weights.bin
 * replaced by a link while serving handed out the link's target): a file swapped for a link or a
 * FIFO afterwards is a 404, at once; and a cache that cannot be written does not stop serve.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import * as path from 'node:path';
import { modelHash } from '../../src/report/model_hash.js';
import { serve } from '../../src/serve/server.js';
import { layersModel } from './fifo_cases.js';
import { fresh, mkfifo, victim, within, type Case } from './kit.js';

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: p, headers: { host: `127.0.0.1:${port}` } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A served model (with a report unit image and an atlas), the server's port, and a closer. */
async function served(name: string) {
  const dir = await layersModel(`serve-${name}`);
  mkdirSync(path.join(dir, 'report', 'conv-erhan'), { recursive: true });
  writeFileSync(path.join(dir, 'report', 'conv-erhan', 'unit-0.png'), 'png bytes');
  const site = fresh(`serve-site-${name}`);
  mkdirSync(path.join(site, 'units'));
  writeFileSync(
    path.join(site, 'index.json'),
    JSON.stringify({ hash: await modelHash(dir), plan: { layers: ['conv'] } }),
  );
  writeFileSync(path.join(site, 'units', 'conv.json'), '{"unit": 0}');
  const appDir = fresh(`serve-app-${name}`);
  writeFileSync(path.join(appDir, 'index.html'), '<!doctype html><title>app</title>');
  const s = await serve({
    models: [dir],
    reports: [site],
    appDir,
    port: 0,
    cacheDir: path.join(fresh('serve-cache'), 'c'),
    log: () => {},
  });
  return { dir, site, appDir, port: Number(new URL(s.url).port), close: s.close };
}

/** Swaps `file` for a link to the victim's secret. */
function relink(file: string, secret: string): void {
  renameSync(file, `${file}.was`);
  symlinkSync(secret, file);
}

const swapCase = (
  name: string,
  target: (s: Awaited<ReturnType<typeof served>>) => [string, string],
  how: 'link' | 'fifo',
): Case => ({
  surface: 'serve',
  name,
  run: async () => {
    const v = victim();
    const s = await served(name.slice(0, 12));
    try {
      const [file, url] = target(s);
      const before = await get(s.port, url);
      assert.equal(before.status, 200, `${url} before the swap`);
      if (how === 'link') relink(file, v.secret);
      else {
        rmSync(file);
        mkfifo(file);
      }
      const after = await within(5000, get(s.port, url), how === 'fifo' ? [file] : []);
      assert.equal(
        after.status,
        404,
        `${url} after the swap: ${after.status} ${after.body.slice(0, 40)}`,
      );
      assert.ok(!after.body.includes('SECRET-27'));
    } finally {
      await s.close();
    }
  },
});

export const SERVE_CASES: Case[] = [
  swapCase(
    'weights.bin swapped for a link while serving is a 404 (severe 7)',
    (s) => [path.join(s.dir, 'weights.bin'), '/models/0/weights.bin'],
    'link',
  ),
  swapCase(
    'model.json swapped for a link while serving is a 404',
    (s) => [path.join(s.dir, 'model.json'), '/models/0/model.json'],
    'link',
  ),
  swapCase(
    'a report unit image swapped for a link while serving is a 404',
    (s) => [
      path.join(s.dir, 'report', 'conv-erhan', 'unit-0.png'),
      '/models/0/report/conv-erhan/unit-0.png',
    ],
    'link',
  ),
  swapCase(
    'weights.bin swapped for a FIFO while serving is a 404 at once',
    (s) => [path.join(s.dir, 'weights.bin'), '/models/0/weights.bin'],
    'fifo',
  ),
  swapCase(
    "an atlas page's JSON swapped for a FIFO while serving is a 404 at once",
    (s) => [path.join(s.site, 'units', 'conv.json'), '/reports/0/units/conv.json'],
    'fifo',
  ),
  swapCase(
    "the app's index.html swapped for a link while serving is a 404",
    (s) => [path.join(s.appDir, 'index.html'), '/'],
    'link',
  ),
  {
    surface: 'serve',
    name: 'serve starts when its cache folder cannot be made (a full or read-only disk)',
    timeout: 120_000,
    run: async () => {
      const dir = await layersModel('serve-nocache');
      const appDir = fresh('serve-app-nocache');
      writeFileSync(path.join(appDir, 'index.html'), '<!doctype html>');
      const logs: string[] = [];
      const s = await serve({
        models: [dir],
        data: 'mnist',
        appDir,
        port: 0,
        cacheDir: '/proc/deepvis-hostile/cache',
        log: (l) => logs.push(l),
      });
      await s.close();
      assert.ok(
        logs.some((l) => /cache \/proc\/deepvis-hostile\/cache cannot be used/.test(l)),
        logs.join('\n'),
      );
    },
  },
];
