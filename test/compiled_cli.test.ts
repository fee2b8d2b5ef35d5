/**
 * The CLI as installed runs: compiled by tsc (as `npm ci` builds dist/ through `prepare`) and run
 * by plain Node, without tsx. Every other test runs the TypeScript sources through tsx, which also
 * resolves imports plain Node refuses — a deep import of a tfjs-core ESM file (whose own imports
 * have no extension) once passed every test while `npx deepvis` failed at start. Here the build
 * goes to a private folder under node_modules/.cache (so the packages resolve as from dist/), and
 * a gradient method, an optimization and an ONNX model on onnxruntime run through it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const ONNX = path.join(root, 'test/fixtures/onnx/trained/mnist-resnet/model.onnx');
let build: string;
let out: string;

/** Runs the compiled CLI's main() as bin/deepvis.js does, in a plain Node process. */
function deepvis(...args: string[]) {
  return spawnSync(process.execPath, [path.join(build, 'run.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
}

before(async () => {
  mkdirSync(path.join(root, 'node_modules/.cache'), { recursive: true });
  build = await mkdtemp(path.join(root, 'node_modules/.cache/deepvis-compiled-'));
  out = await mkdtemp(path.join(tmpdir(), 'deepvis-compiled-out-'));
  const tsc = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', build],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  // bin/deepvis.js's two lines, pointed at this build (an -e script would pass --input-type to the
  // wasm backend's worker threads too).
  writeFileSync(
    path.join(build, 'run.mjs'),
    "import { main } from './cli/main.js';\nprocess.exitCode = await main(process.argv.slice(2));\n",
  );
});

after(async () => {
  if (build) await rm(build, { recursive: true, force: true });
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the compiled CLI under plain Node', () => {
  it('inspects an ONNX model and names onnxruntime as its forward engine', () => {
    const r = deepvis('inspect', ONNX);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /onnxruntime-node/);
  });

  it('runs input gradients (saliency, guided backprop) and an optimization through the engine', () => {
    const a = deepvis(
      'attribute',
      '--model',
      ONNX,
      '--input',
      'mnist:3',
      '--method',
      'saliency,guided',
      '--out',
      path.join(out, 'attr'),
      '--quiet',
    );
    assert.equal(a.status, 0, a.stderr);
    assert.ok(
      readdirSync(path.join(out, 'attr')).some((f) => f.endsWith('.png')),
      'no picture written',
    );
    const m = deepvis(
      'maximize',
      '--model',
      ONNX,
      '--layer',
      ONNX_LAYER,
      '--units',
      '0-1',
      '--method',
      'lucid',
      '--steps',
      '8',
      '--out',
      path.join(out, 'max'),
      '--quiet',
    );
    assert.equal(m.status, 0, m.stderr);
    assert.ok(existsSync(path.join(out, 'max')));
  });

  it('refuses bad input in one line, not a trace', () => {
    const r = deepvis(
      'maximize',
      '--model',
      ONNX,
      '--layer',
      'no-such-layer',
      '--out',
      path.join(out, 'bad'),
    );
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /no-such-layer/);
  });
});

/** A conv layer of the trained ResNet fixture (inspect lists them). */
const ONNX_LAYER = 'layer1.0.conv1';
