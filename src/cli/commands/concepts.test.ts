/**
 * `deepvis concepts` end to end on the trained MNIST ResNet (an ONNX file from PyTorch,
 * test/fixtures/onnx/trained): DFF writes concepts.json, the PNGs and the page together, its
 * concepts named by the classifier head; the bad inputs — no --class for CRAFT, an empty concept
 * folder, k past the layer's width, an option of another method — exit 1 with one line and leave
 * no file behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '../../..');
const model = path.join(root, 'test/fixtures/onnx/trained/mnist-resnet');
let dir: string;

function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'scripts/deepvis-dev.ts'),
      'concepts',
      '--model',
      model,
      '--data',
      'mnist',
      '--quiet',
      ...args,
    ],
    { cwd: root, encoding: 'utf8', timeout: 300_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-concepts-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('deepvis concepts', () => {
  it('DFF: concepts.json, a PNG per concept, the maps and a page', () => {
    const out = path.join(dir, 'dff');
    const r = deepvis(
      '--method',
      'dff',
      '--k',
      '3',
      '--images',
      '6',
      '--vis-steps',
      '24',
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(out);
    for (const f of [
      'concepts.json',
      'directions.json',
      'concepts.png',
      'maps.png',
      'index.html',
      'concept-0.png',
      'concept-2.png',
      'vis.png',
      'concept-0-vis.png',
      'concept-2-vis.png',
    ])
      assert.ok(files.includes(f), `${f} missing: ${files}`);
    const json = JSON.parse(readFileSync(path.join(out, 'concepts.json'), 'utf8'));
    assert.equal(json.method, 'dff');
    assert.equal(json.concepts.length, 3);
    assert.equal(json.maps.length, 6);
    assert.equal(json.maps[0].values.length, json.maps[0].h * json.maps[0].w * 3);
    // Each concept's feature visualization and the cosine with its direction its image reached
    // (what the picture means is tested in report/concept_vis.test.ts; 24 steps reach 0.28–0.6 here).
    assert.equal(json.featureVisualization.steps, 24);
    assert.ok([json.layer, `${json.layer}:pre`].includes(json.featureVisualization.layer));
    assert.deepEqual(Object.keys(json.featureVisualization.cosines).sort(), ['0', '1', '2']);
    for (const v of Object.values(json.featureVisualization.cosines) as number[])
      assert.ok(v > 0 && v <= 1, `cosine ${v}`);
    for (const c of json.concepts) {
      assert.match(c.name, /^\d \d+%, \d \d+%$/); // named by the head: its two most probable digits
      assert.ok(Math.abs(Math.hypot(...c.direction) - 1) < 1e-3, 'a direction is unit-length');
      assert.ok(
        c.top.every((e: { index: number; at: number[] }) => e.index < 6 && e.at.length === 2),
      );
    }
    // directions.json: the same directions at full precision (concepts.json rounds to 5 digits), for maximize --target cosine:.
    const dirs: number[][] = JSON.parse(readFileSync(path.join(out, 'directions.json'), 'utf8'));
    assert.equal(dirs.length, 3);
    dirs.forEach((d, j) =>
      d.forEach((v, t) =>
        assert.ok(Math.abs(v - json.concepts[j].direction[t]) <= 1e-4 * Math.abs(v) + 1e-9),
      ),
    );
    assert.match(readFileSync(path.join(out, 'index.html'), 'utf8'), /Deep Feature Factorization/);
  });

  const refused: Array<[string, string[], RegExp]> = [
    ['CRAFT without a class', ['--method', 'craft'], /craft explains a class: give --class/],
    [
      'an empty concept folder',
      ['--method', 'tcav', '--class', '3', '--layer', 'layer3.0.relu_1', '--concepts', 'EMPTY'],
      /no images in .*empty/,
    ],
    [
      'k past the width',
      ['--method', 'dff', '--k', '999'],
      /--k 999 is larger than the width of layer '[^']+' \(\d+ channels\)/,
    ],
    [
      "another method's option",
      ['--method', 'dff', '--runs', '3'],
      /--runs is an option of tcav; --method dff takes --k, --images/,
    ],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what} in one line, leaving nothing behind`, () => {
      const empty = path.join(dir, 'empty');
      mkdirSync(empty, { recursive: true });
      const out = path.join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      const r = deepvis(...args.map((a) => (a === 'EMPTY' ? empty : a)), '--out', out);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'left files behind');
    });
  }
});
