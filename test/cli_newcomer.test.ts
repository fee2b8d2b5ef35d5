/**
 * A newcomer's first hour (issue 30), each defect as it was met: a bare PyTorch export (ONNX, no
 * sidecar), its class names given by --labels or the data set, named as --units, and its
 * nn.Linear head in the atlas.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
const RESNET = path.join(root, 'test/fixtures/onnx/trained/mnist-resnet/model.onnx');
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
let dir: string;
let bare: string;
let labels: string;

function deepvis(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
}

const oneLine = (r: { status: number | null; stderr: string }, pattern: RegExp) => {
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
};

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-newcomer-'));
  // As a user's export comes: the .onnx alone, no deepvis.json naming its classes.
  bare = path.join(dir, 'model', 'model.onnx');
  spawnSync('mkdir', ['-p', path.dirname(bare)]);
  copyFileSync(RESNET, bare);
  labels = path.join(dir, 'classes.txt');
  writeFileSync(labels, FASHION.join('\n') + '\n');
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('class names for a bare export', () => {
  it('--labels FILE names the classes, and --units takes the names', () => {
    const out = path.join(dir, 'max');
    const r = deepvis('maximize', '--model', bare, '--labels', labels, '--layer', 'fc', '--units', 'Coat,bag', '--steps', '4', '--restarts', '1', '--out', out, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(readFileSync(path.join(out, 'fc-erhan.json'), 'utf8')) as { units: { unit: number; class: string | null }[] };
    assert.deepEqual(json.units.map((u) => [u.unit, u.class]), [[4, 'Coat'], [8, 'Bag']]);
  });

  it('refuses a class name in one line when the model names none, and a name it does not know', () => {
    oneLine(deepvis('maximize', '--model', bare, '--layer', 'fc', '--units', 'Coat', '--out', path.join(dir, 'x1')), /--units Coat: the model names no classes \(give --labels FILE/);
    oneLine(deepvis('maximize', '--model', bare, '--labels', labels, '--layer', 'fc', '--units', 'Hat', '--out', path.join(dir, 'x2')), /'Hat' is not a class name; the classes are T-shirt\/top/);
    writeFileSync(path.join(dir, 'nine.txt'), FASHION.slice(0, 9).join('\n'));
    oneLine(deepvis('inspect', bare, '--labels', path.join(dir, 'nine.txt')), /nine\.txt names 9 classes; the model scores 10/);
    assert.ok(!existsSync(path.join(dir, 'x1')) && !existsSync(path.join(dir, 'x2')), 'a refused command left an output folder');
  });

  it("the atlas gives the nn.Linear (Gemm) head a page, and the model page the data set's class names", () => {
    const site = path.join(dir, 'site');
    const r = deepvis('report', '--model', bare, '--data', 'mnist', '--layers', 'fc', '--erhan-steps', '4', '--erhan-restarts', '1', '--lucid-steps', '4',
      '--yosinski-steps', '4', '--diverse-steps', '4', '--diverse-count', '1', '--embed-count', '60', '--quiet', '--out', site);
    assert.equal(r.status, 0, r.stderr);
    const index = readFileSync(path.join(site, 'index.html'), 'utf8');
    assert.match(index, /class names<\/dt><dd>0, 1, 2, 3, 4, 5, 6, 7, 8, 9 \(the data set \(mnist:eval\)\)/);
    assert.ok(readdirSync(path.join(site, 'layers')).some((f) => f.startsWith('fc')), 'no page for the Gemm layer');
  });
});
