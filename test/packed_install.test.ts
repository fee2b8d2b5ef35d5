/**
 * deepvis as a user installs it: `npm pack` (of the dist/ that `npm ci` built through
 * `prepare`), the tarball unpacked into a fresh project's node_modules/deepvis, and the CLI run from that project. Every
 * path of an installed package contains "node_modules": the web app's builder once skipped them
 * all and `serve` said its sources were missing. The package's declared dependencies are linked
 * from this checkout's node_modules (no network: a dependency used at run time but not declared
 * fails here), and onnxruntime-node is left out first, as npm leaves it out when its install
 * script fails in a user's project, to check that the CLI says so in one line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const ONNX = path.join(root, 'test/fixtures/onnx/trained/mnist-resnet/model.onnx');
let dir: string;
let project: string;
let model: string;

function deepvis(...args: string[]) {
  return spawnSync(
    process.execPath,
    [path.join(project, 'node_modules/deepvis/bin/deepvis.js'), ...args],
    { cwd: project, encoding: 'utf8', timeout: 300_000 },
  );
}

function link(name: string) {
  const to = path.join(project, 'node_modules', name);
  mkdirSync(path.dirname(to), { recursive: true });
  symlinkSync(path.join(root, 'node_modules', name), to, 'dir');
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-packed-'));
  // dist/ is what `npm ci` built through `prepare` (CI runs it first); packing it as it is saves
  // a second compile of the whole tree.
  const scripts = existsSync(path.join(root, 'dist/cli/main.js')) ? ['--ignore-scripts'] : [];
  const pack = spawnSync('npm', ['pack', ...scripts, '--pack-destination', dir, '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(pack.status, 0, pack.stderr.slice(-2000));
  const tgz = path.join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
  project = path.join(dir, 'project');
  mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'a-user-project', version: '1.0.0', type: 'module' }),
  );
  const tar = spawnSync('tar', ['-xzf', tgz, '-C', path.join(project, 'node_modules')], {
    encoding: 'utf8',
  });
  assert.equal(tar.status, 0, tar.stderr);
  renameSync(
    path.join(project, 'node_modules/package'),
    path.join(project, 'node_modules/deepvis'),
  );
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(pkg.dependencies)) link(name);
  model = path.join(project, 'resnet.onnx');
  writeFileSync(model, readFileSync(ONNX));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packed tarball installed in a fresh project', () => {
  it('holds the compiled CLI and the web app sources', () => {
    const pkg = path.join(project, 'node_modules/deepvis');
    assert.ok(existsSync(path.join(pkg, 'dist/cli/main.js')));
    assert.ok(existsSync(path.join(pkg, 'web/app/index.html')));
  });

  it('says in one line, with the command, that onnxruntime-node is missing', () => {
    const r = deepvis('inspect', model);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /forward passes without a gradient: tfjs/);
    const notes = r.stderr.trim().split('\n');
    assert.equal(notes.length, 1, r.stderr);
    assert.match(
      notes[0],
      /onnxruntime-node is not installed.*npm install onnxruntime-node@1\.30\.0 --ignore-scripts/,
    );
  });

  it('runs inspect, attribute, maximize and report, with onnxruntime-node once installed', () => {
    link('onnxruntime-node');
    link('onnxruntime-common');
    const i = deepvis('inspect', model);
    assert.equal(i.status, 0, i.stderr);
    assert.match(i.stdout, /forward passes without a gradient: onnxruntime-node/);
    assert.equal(i.stderr, '');
    const out = path.join(dir, 'out');
    const a = deepvis(
      'attribute',
      '--model',
      model,
      '--input',
      'mnist:3',
      '--method',
      'saliency',
      '--out',
      path.join(out, 'attr'),
      '--quiet',
    );
    assert.equal(a.status, 0, a.stderr);
    assert.ok(
      readdirSync(path.join(out, 'attr')).some((f) => f.endsWith('.png')),
      'attribute wrote no picture',
    );
    const m = deepvis(
      'maximize',
      '--model',
      model,
      '--layer',
      'layer1.0.conv1',
      '--units',
      '0-1',
      '--method',
      'lucid',
      '--steps',
      '6',
      '--out',
      path.join(out, 'max'),
      '--quiet',
    );
    assert.equal(m.status, 0, m.stderr);
    assert.ok(
      readdirSync(path.join(out, 'max')).some((f) => f.endsWith('.png')),
      'maximize wrote no picture',
    );
    const r = deepvis(
      'report',
      '--model',
      model,
      '--layers',
      'layer3.0.conv2',
      '--no-data',
      '--erhan-steps',
      '4',
      '--erhan-restarts',
      '1',
      '--lucid-steps',
      '4',
      '--yosinski-steps',
      '4',
      '--diverse-steps',
      '4',
      '--diverse-count',
      '1',
      '--quiet',
      '--out',
      path.join(out, 'site'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(path.join(out, 'site/index.html')), 'report wrote no site');
  });

  it('serves the live app (built from node_modules/deepvis/web/app)', async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(project, 'node_modules/deepvis/bin/deepvis.js'),
        'serve',
        '--model',
        model,
        '--port',
        '0',
      ],
      { cwd: project },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`serve did not start in 5 min: ${stdout}${stderr}`)),
          300_000,
        );
        child.stdout.on('data', () => {
          const m = /serving \d+ model\(s\) at (\S+)/.exec(stdout);
          if (!m) return;
          clearTimeout(timer);
          resolve(m[1]);
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`serve exited (${code}): ${stderr}`));
        });
      });
      const page = await fetch(url);
      assert.equal(page.status, 200);
      const html = await page.text();
      const script = /<script[^>]+src="\.?\/?([^"]+\.js)"/.exec(html);
      assert.ok(script, `no script in the served page: ${html.slice(0, 400)}`);
      const js = await fetch(new URL(script[1], url));
      assert.equal(js.status, 200);
      assert.ok((await js.text()).length > 10_000, 'the app bundle is nearly empty');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
  });
});
