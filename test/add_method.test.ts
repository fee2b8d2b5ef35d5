/**
 * Adding a method is one file and one registry row (issue 25's bar; before the registries it took
 * about seven files). In a copy of the tree, a toy feature-visualization method (plain ascent on
 * pixels) and a toy attribution method (the sign of the input gradient, Goodfellow et al. 2015's
 * FGSM direction) are each added as a file plus a row (with its import) in their registry, and
 * nothing else; then they show up in `maximize --help` / `attribute --help` (with their options),
 * in the web app's list, the invariants table runs them (no leak, rules restored, a bad unit in
 * one line), and the docs build gives each a page with its picture (the docs check: every page of
 * the site opens in Chromium with no broken link or image).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FEATURE_VIS } from '../src/methods/registry.js';
import { buildDocs, checkInChromium, missingMethodPages } from './docs_check.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TOY_VIS = `/**
 * Plain gradient ascent on pixels (a toy method: the registry test adds it), from the neutral
 * image with a little noise, normalized steps, clamped to the input range (Erhan et al. 2009's
 * ascent without the norm sphere).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../engine/rng.js';
import { neutral } from '../model/neutral.js';
import { optimizeOwned } from '../optimize/loop.js';
import { pixels } from '../param/pixels.js';
import { clampRange } from '../projections/projections.js';
import { defineFeatureVis } from './method.js';
import { disposable, outcomes, unitObjectiveOf, type UnitRequest } from './recipe.js';

type ToyArgs = UnitRequest & { readonly jitter?: number };
const params = (a: ToyArgs) => ({ method: 'toy-ascent', steps: a.steps ?? 50, jitter: a.jitter ?? 0.01, seed: a.seed ?? 0 });

export const toyAscentMethod = defineFeatureVis({
  name: 'toy-ascent', title: 'toy ascent', tagline: 'plain pixels', paper: 'Erhan et al. 2009', defaults: '50 steps',
  idea: 'Normalized gradient steps on the pixels from a noisy neutral image, clamped to the input range. Nothing keeps the image natural.',
  options: { jitter: { type: 'number', help: 'start noise as a fraction of the range (default 0.01)' } },
  args: (req, o): ToyArgs => ({ ...req, jitter: o.jitter }),
  params: (_, a) => params(a),
  batch: () => ({ copies: 1, what: 'image', chunkable: true, rows: 1 }),
  steps: function* (model, a) {
    const p = params(a);
    const [lo, hi] = model.input.range;
    const objective = unitObjectiveOf(model, a);
    const start = () => tf.randomNormal([a.units.length, ...model.input.shape], neutral(model), p.jitter * (hi - lo), 'float32', new Rng(p.seed).seed()) as tf.Tensor4D;
    const run = yield* optimizeOwned(model, pixels(start), objective, { steps: p.steps, lr: 0.02 * (hi - lo), rule: 'normalized', projections: [clampRange([lo, hi])], onStep: a.onStep, signal: a.signal });
    return disposable({ images: run.images, units: outcomes(a.units, run), objective: objective.description, params: p, seconds: run.seconds });
  },
  interactive: {},
  quick: { jitter: 0.02 },
});
`;

const TOY_ATTRIBUTION = `/** The sign of the input gradient (a toy method: the registry test adds it), Goodfellow et al. 2015's FGSM direction. */
import * as tf from '@tensorflow/tfjs';
import { saliency } from './gradients.js';
import { defineAttribution } from './method.js';

export const gradientSignMethod = defineAttribution({
  name: 'toy-sign', title: 'gradient sign', short: 'sign', paper: 'Goodfellow et al. 2015', summary: 'the sign of ∂score/∂x (the FGSM direction)',
  idea: 'Each pixel gets the sign of the target\\'s gradient there. It is the direction an adversarial step of the fast gradient sign method takes.',
  signed: true, display: 'heat', access: 'gradient', options: {},
  explain: ({ model, x, target }) => ({ map: tf.tidy(() => saliency(model, x, target).sign() as tf.Tensor4D) }),
});
`;

/** Adds `row` to the registry list `list` of `file`, and its import: the one change a new method makes there. */
function addRow(file: string, list: string, row: string, importLine: string): void {
  const s = readFileSync(file, 'utf8');
  const at = s.indexOf(`export const ${list}`);
  const end = s.indexOf('];', at);
  assert.ok(at > 0 && end > at, `${list} in ${file}`);
  writeFileSync(file, `${importLine}\n${s.slice(0, end)}  ${row},\n${s.slice(end)}`);
}

let dir: string;
// A test runner inside a test: without NODE_TEST_CONTEXT the child reports on its own stdout.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
);
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: dir, encoding: 'utf8', env });

describe('adding a method: one file and one row', () => {
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'deepvis-add-method-'));
    for (const p of [
      'src',
      'web/app/src',
      'test/helpers.ts',
      'test/fixtures/small_cnn.ts',
      'test/invariants.test.ts',
      'scripts/deepvis-dev.ts',
      'package.json',
      'tsconfig.json',
      'test/fixtures/onnx/vit-mini-op17.onnx',
      'test/fixtures/onnx/trained',
    ]) {
      cpSync(path.join(root, p), path.join(dir, p), { recursive: true });
    }
    // The docs' sources and build, not a site or picture cache of this tree.
    cpSync(path.join(root, 'docs'), path.join(dir, 'docs'), {
      recursive: true,
      filter: (f) => !/\/docs\/(site|\.cache)(\/|$)/.test(f),
    });
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'src/methods/toy_ascent.ts'), TOY_VIS);
    addRow(
      path.join(dir, 'src/methods/registry.ts'),
      'FEATURE_VIS',
      'toyAscentMethod',
      "import { toyAscentMethod } from './toy_ascent.js';",
    );
    writeFileSync(path.join(dir, 'src/attribution/toy_sign.ts'), TOY_ATTRIBUTION);
    addRow(
      path.join(dir, 'src/attribution/registry.ts'),
      'ATTRIBUTIONS',
      'gradientSignMethod',
      "import { gradientSignMethod } from './toy_sign.js';",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('two files and two registries changed, nothing else', () => {
    const diff = spawnSync(
      'diff',
      ['-rq', '-x', 'node_modules', path.join(root, 'src'), path.join(dir, 'src')],
      { encoding: 'utf8' },
    )
      .stdout.trim()
      .split('\n');
    assert.deepEqual(diff.map((l) => l.replace(root, '').replace(dir, '')).sort(), [
      'Files /src/attribution/registry.ts and /src/attribution/registry.ts differ',
      'Files /src/methods/registry.ts and /src/methods/registry.ts differ',
      'Only in /src/attribution: toy_sign.ts',
      'Only in /src/methods: toy_ascent.ts',
    ]);
  });

  it('shows up in maximize --help and attribute --help, with its options', () => {
    const m = run('scripts/deepvis-dev.ts', 'maximize', '--method', 'toy-ascent', '--help');
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /--method toy-ascent: toy ascent \(plain pixels; Erhan et al\. 2009\)/);
    assert.match(m.stdout, /--jitter +start noise/);
    assert.ok(
      m.stdout.includes(`[${[...FEATURE_VIS.map((x) => x.name), 'toy-ascent'].join('|')}]`),
      m.stdout,
    );
    const a = run('scripts/deepvis-dev.ts', 'attribute', '--help');
    assert.match(a.stdout, /--method toy-sign: the sign of ∂score\/∂x/);
  });

  it("shows up in the web app's list", async () => {
    const r = run(
      '--input-type=module',
      '-e',
      "const m = await import('./web/app/src/maximize_run.ts'); console.log(JSON.stringify(m.maximizeMethods().map((x) => x.value)));",
    );
    assert.equal(r.status, 0, r.stderr);
    const before = (await import('../web/app/src/maximize_run.js'))
      .maximizeMethods()
      .map((x) => x.value);
    assert.deepEqual(JSON.parse(r.stdout), [...before, 'toy-ascent']);
  });

  it('the invariants table runs both', () => {
    const r = run(
      '--test',
      '--test-reporter=tap',
      '--test-name-pattern=toy',
      'test/invariants.test.ts',
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok \d+ - toy-ascent: no leak/);
    assert.match(r.stdout, /ok \d+ - toy-sign: no leak/);
    assert.match(r.stdout, /# fail 0/);
  });

  it('gets its docs page and picture, and the site stays whole (the docs check)', async () => {
    const site = path.join(dir, 'site');
    const r = buildDocs(dir, site, ['toy-ascent', 'toy-sign']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const toys = [
      { kind: 'feature-visualization', name: 'toy-ascent', picture: true },
      { kind: 'attribution', name: 'toy-sign', picture: true },
    ];
    assert.deepEqual(missingMethodPages(site, toys), []);
    assert.match(
      readFileSync(path.join(site, 'feature-visualization/toy-ascent.html'), 'utf8'),
      /<code>--jitter<\/code>/,
    );
    const { problems } = await checkInChromium(site);
    assert.deepEqual(problems, []);
  });
});
