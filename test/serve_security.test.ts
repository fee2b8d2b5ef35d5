/**
 * `deepvis serve` against a hostile model folder and hostile requests: only the files a model
 * consists of are served (no dotfiles, no symlinks out, no unlisted files), a weights manifest
 * pointing outside the folder is refused in one line, requests for another Host (DNS rebinding)
 * get 403, other methods 405, malformed URLs 400; every response has nosniff and the app a CSP.
 * The model has a one-unit head and a 1×1 conv map (the oneHot depth-1 crash at start), and the
 * top-k cache is planted with entries that must not be trusted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveLayersModel } from '../src/io/model_files.js';
import { modelFiles } from '../src/io/model_manifest.js';
import { contentKey, readCached, writeCached } from '../src/serve/cache.js';
import { allowedHosts } from '../src/serve/guard.js';
import { serve } from '../src/serve/server.js';
import { setup } from './helpers.js';

let dir: string;
let modelDir: string;
let appDir: string;
let port: number;
let close: () => Promise<void>;
const logs: string[] = [];

function get(
  p: string,
  o: { host?: string; method?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: o.method ?? 'GET',
        headers: { host: o.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A 28×28×1 model whose conv layer has a 1×1 map and whose head has one unit (a binary classifier). */
async function oneUnitModel(at: string): Promise<void> {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 3,
      kernelSize: 28,
      activation: 'relu',
      name: 'whole',
    }),
  );
  m.add(tf.layers.flatten({ name: 'flat' }));
  m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  await saveLayersModel(m, at, { inputRange: [0, 1], channelOrder: 'gray', dataset: 'mnist' });
  m.dispose();
}

before(async () => {
  await setup('wasm');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-serve-'));
  modelDir = path.join(dir, 'home');
  await oneUnitModel(modelDir);
  // What a careless --model ~/model.json would expose, and what a hostile download could contain.
  writeFileSync(path.join(modelDir, '.env'), 'SECRET=1\n');
  mkdirSync(path.join(modelDir, '.ssh'));
  writeFileSync(path.join(modelDir, '.ssh', 'id_rsa'), 'PRIVATE KEY\n');
  writeFileSync(path.join(modelDir, 'notes.txt'), 'not part of the model\n');
  writeFileSync(path.join(dir, 'outside.txt'), 'outside\n');
  symlinkSync(path.join(dir, 'outside.txt'), path.join(modelDir, 'passwd'));
  symlinkSync('/', path.join(modelDir, 'rootlink'));
  mkdirSync(path.join(modelDir, 'report', 'whole_pre-erhan'), { recursive: true });
  writeFileSync(path.join(modelDir, 'report', 'whole_pre-erhan', 'unit-0.png'), 'png bytes');
  symlinkSync(
    path.join(dir, 'outside.txt'),
    path.join(modelDir, 'report', 'whole_pre-erhan', 'unit-1.png'),
  );
  appDir = path.join(dir, 'app');
  mkdirSync(appDir);
  writeFileSync(path.join(appDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(appDir, '.secret'), 'x');
  const s = await serve({
    models: [modelDir],
    data: 'mnist',
    appDir,
    port: 0,
    cacheDir: path.join(dir, 'cache'),
    log: (l) => logs.push(l),
  });
  port = Number(new URL(s.url).port);
  close = s.close;
});
after(async () => {
  await close?.();
  await rm(dir, { recursive: true, force: true });
});

describe('serve: only the model files', () => {
  it('started on a one-unit model with a 1×1 map, scanning its top-k', () => {
    assert.ok(
      logs.some((l) => /scanned 2000 images/.test(l)),
      logs.join('\n'),
    );
  });

  it('serves model.json, its weights and the report images', async () => {
    assert.equal((await get('/models/0/model.json')).status, 200);
    assert.equal((await get('/models/0/weights.bin')).status, 200);
    const unit = await get('/models/0/report/whole_pre-erhan/unit-0.png');
    assert.equal(unit.status, 200);
    assert.equal(unit.body.toString(), 'png bytes');
    const config = JSON.parse((await get('/api/config')).body.toString());
    assert.deepEqual(
      config.models[0].report,
      { 'whole_pre-erhan': [0] },
      'the linked-out unit-1.png is not listed',
    );
  });

  for (const p of [
    '.env',
    '.ssh/id_rsa',
    'notes.txt',
    'passwd',
    'rootlink/etc/passwd',
    'rootlink/proc/self/environ',
    'report/whole_pre-erhan/unit-1.png',
    '%2e%2e/outside.txt',
    '..%2Foutside.txt',
  ]) {
    it(`refuses /models/0/${p}`, async () => {
      const r = await get(`/models/0/${p}`);
      assert.equal(r.status, 404, `${p}: ${r.body.toString().slice(0, 80)}`);
      assert.doesNotMatch(r.body.toString(), /outside|SECRET|PRIVATE|root:/);
    });
  }

  it('no dotfiles from the app folder either', async () => {
    assert.equal((await get('/.secret')).status, 404);
  });
});

describe('serve: requests', () => {
  it('answers its own Host names and refuses others (DNS rebinding)', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
    ])
      assert.equal((await get('/api/config', { host })).status, 200, host);
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `127.0.0.1.evil.example:${port}`,
    ]) {
      const r = await get('/api/config', { host });
      assert.equal(r.status, 403, host);
      assert.doesNotMatch(r.body.toString(), /models/);
    }
  });

  it('a wildcard bind answers the interfaces but still not a foreign name', () => {
    const hosts = allowedHosts('0.0.0.0', 8080);
    assert.ok(hosts.has('127.0.0.1:8080') && hosts.has('localhost:8080'));
    assert.ok(!hosts.has('evil.example:8080'));
    assert.deepEqual([...allowedHosts('192.168.1.5', 80)].sort(), [
      '192.168.1.5',
      '192.168.1.5:80',
    ]);
  });

  it('405 for other methods, HEAD without a body, 400 for a malformed URL', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await get('/api/config', { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    const head = await get('/models/0/model.json', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal((await get('/models/0/%E0%A4%A')).status, 400);
    assert.equal((await get('/%')).status, 400);
  });

  it('nosniff on every response, a CSP allowing wasm on the app', async () => {
    for (const p of ['/', '/api/config', '/models/0/model.json', '/nope'])
      assert.equal((await get(p)).headers['x-content-type-options'], 'nosniff', p);
    const csp = String((await get('/')).headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(csp, /object-src 'none'/);
  });
});

describe('model files: manifests and links pointing outside', () => {
  const hostile = async (name: string, paths: unknown, extra?: (d: string) => void) => {
    const d = path.join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(
      path.join(d, 'model.json'),
      JSON.stringify({
        modelTopology: { class_name: 'Sequential', config: { layers: [] } },
        weightsManifest: paths,
      }),
    );
    extra?.(d);
    return d;
  };

  it('"paths": ["../secret.txt"] is refused, naming the entry, not the file size', async () => {
    const d = await hostile('traversal', [
      { paths: ['../outside.txt'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] },
    ]);
    await assert.rejects(
      loadModel(d),
      /lists '\.\.\/outside\.txt', which is outside the model's folder; refused/,
    );
    await assert.rejects(modelFiles(path.join(d, 'model.json')), /outside the model's folder/);
    await assert.rejects(
      serve({ models: [d], appDir, port: 0, cacheDir: path.join(dir, 'cache') }),
      /outside the model's folder/,
    );
    const abs = await hostile('absolute', [{ paths: ['/etc/passwd'], weights: [] }]);
    await assert.rejects(
      loadModel(abs),
      (e: Error) => /outside the model's folder/.test(e.message) && !/bytes/.test(e.message),
    );
    const enc = await hostile('encoded', [{ paths: ['..%2F..%2Fetc%2Fpasswd'], weights: [] }]);
    await assert.rejects(loadModel(enc), /outside the model's folder/);
  });

  it('a shard that is a symlink out of the folder is refused', async () => {
    const d = await hostile('linked', [{ paths: ['w.bin'], weights: [] }], (x) =>
      symlinkSync(path.join(dir, 'outside.txt'), path.join(x, 'w.bin')),
    );
    await assert.rejects(
      loadModel(d),
      /lists 'w\.bin', which links outside the model's folder; refused/,
    );
  });

  it('malformed manifests are one line', async () => {
    await assert.rejects(
      loadModel(await hostile('zz', 'zz')),
      /malformed model file .*weightsManifest must be a list/,
    );
    await assert.rejects(
      loadModel(await hostile('pct', [{ paths: ['weights%.bin'], weights: [] }])),
      /weight path 'weights%\.bin' is not valid URI encoding/,
    );
    await assert.rejects(
      loadModel(await hostile('nopaths', [{ weights: [] }])),
      /weightsManifest\[0\]\.paths must be a list/,
    );
  });
});

describe('serve: the top-k cache', () => {
  const name = 'home-topk-index';
  const keyOf = async () =>
    contentKey(await modelFiles(path.join(modelDir, 'model.json')), 'topk-index v1 k9 mnist:eval');

  it('is private (0700) and reused on the next start', async () => {
    const cache = path.join(dir, 'cache');
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    const before = logs.length;
    const s = await serve({
      models: [modelDir],
      data: 'mnist',
      appDir,
      port: 0,
      cacheDir: cache,
      log: (l) => logs.push(l),
    });
    await s.close();
    assert.equal(
      logs.slice(before).filter((l) => /scanned/.test(l)).length,
      0,
      'rescanned although cached',
    );
  });

  it('ignores a planted entry: another key inside, world-writable, or another owner', async () => {
    const cache = path.join(dir, 'planted');
    mkdirSync(cache, { mode: 0o700 });
    const key = await keyOf();
    const fake = { version: 1, layers: [], planted: true };
    const file = await writeCached(cache, key, name, fake);
    assert.deepEqual(await readCached(cache, key, name), fake, 'our own entry reads back');
    writeFileSync(file, JSON.stringify({ key: 'f'.repeat(64), value: fake }));
    assert.equal(await readCached(cache, key, name), null, 'a different key inside');
    const seen: string[] = [];
    const s = await serve({
      models: [modelDir],
      data: 'mnist',
      appDir,
      port: 0,
      cacheDir: cache,
      log: (l) => seen.push(l),
    });
    try {
      assert.ok(
        seen.some((l) => /scanned/.test(l)),
        'the planted index was trusted',
      );
      const r = await new Promise<string>((resolve) =>
        request(`${s.url}api/index/0`, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        }).end(),
      );
      const index = JSON.parse(r);
      assert.ok(!index.planted && index.layers.length > 0);
    } finally {
      await s.close();
    }
    writeFileSync(file, JSON.stringify({ key, value: fake }));
    chmodSync(file, 0o666);
    assert.equal(await readCached(cache, key, name), null, 'writable by others');
    chmodSync(file, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(file, 65534, 65534);
      assert.equal(await readCached(cache, key, name), null, 'owned by another user');
    }
  });

  it(
    'refuses a cache folder that belongs to another user',
    { skip: process.getuid?.() !== 0 && 'needs root to chown' },
    async () => {
      const cache = path.join(dir, 'theirs');
      mkdirSync(cache);
      chownSync(cache, 65534, 65534);
      await assert.rejects(
        serve({ models: [modelDir], data: 'mnist', appDir, port: 0, cacheDir: cache }),
        /belongs to another user/,
      );
      assert.deepEqual(readdirSync(cache), []);
    },
  );
});

describe('serve: the app build on a read-only install', () => {
  it(
    'builds into a private mkdtemp folder (0700, removed at exit), without writing into the package',
    { skip: process.getuid?.() !== 0 && 'needs root to run as nobody' },
    () => {
      // As nobody the package is read-only: the old code built into $TMPDIR/deepvis-app (predictable,
      // plantable) and Vite died with EACCES writing its bundled config to node_modules/.vite-temp.
      const script = path.join(dir, 'ro_build.mts');
      const root = path.resolve(import.meta.dirname, '..');
      writeFileSync(
        script,
        `import { statSync } from 'node:fs';
      import { ensureApp, packageWritable } from ${JSON.stringify(path.join(root, 'src/serve/build_app.ts'))};
      const d = await ensureApp({});
      console.log(JSON.stringify({ writable: await packageWritable(), dir: d, mode: statSync(d).mode & 0o777, index: statSync(d + '/index.html').isFile() }));\n`,
      );
      chmodSync(dir, 0o755);
      chmodSync(script, 0o644);
      const r = spawnSync(
        process.execPath,
        ['--import', path.join(root, 'node_modules/tsx/dist/esm/index.mjs'), script],
        {
          cwd: tmpdir(),
          encoding: 'utf8',
          uid: 65534,
          gid: 65534,
          env: { ...process.env, HOME: tmpdir() },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.equal(o.writable, false);
      assert.match(o.dir, /deepvis-app-[A-Za-z0-9]{6}$/);
      assert.equal(o.mode, 0o700);
      assert.ok(o.index);
      assert.ok(!existsSync(o.dir), 'the private build was not removed at exit');
    },
  );
});
