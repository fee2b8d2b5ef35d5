/**
 * The README's library example, as a user copies it: the block marked `// readme-example` is
 * extracted, its `deepvis/node` import pointed at this checkout's sources, and run with Node in a
 * folder holding a model.onnx (the trained MNIST ResNet). It must write units.png, a real grid.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '..');
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-readme-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The ```ts block of the README whose first line is `// readme-example`. */
export function readmeExample(readme: string): string {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const found = blocks.filter((b) => b.startsWith('// readme-example\n'));
  assert.equal(
    found.length,
    1,
    'the README has no (or more than one) block marked // readme-example',
  );
  return found[0];
}

describe('the README library example', () => {
  it('runs as written and writes a PNG of the units', async () => {
    const code = readmeExample(readFileSync(path.join(root, 'README.md'), 'utf8'));
    assert.match(code, /from 'deepvis\/node'/);
    const file = path.join(dir, 'example.mts');
    writeFileSync(
      file,
      code.replace(
        "from 'deepvis/node'",
        `from ${JSON.stringify(pathToFileURL(path.join(root, 'src/node.ts')).href)}`,
      ),
    );
    copyFileSync(
      path.join(root, 'test/fixtures/onnx/trained/mnist-resnet/model.onnx'),
      path.join(dir, 'model.onnx'),
    );
    const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, file], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const png = path.join(dir, 'units.png');
    assert.ok(existsSync(png), 'the example wrote no units.png');
    const meta = await sharp(png).metadata();
    // 4 tiles of 28 px upscaled to at least 128 px, in 2 columns, with labels.
    assert.ok(meta.width! >= 2 * 128 && meta.height! >= 2 * 128, `${meta.width}×${meta.height}`);
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    let lo = 255,
      hi = 0;
    for (let i = 0; i < info.width * info.height; i++) {
      lo = Math.min(lo, data[i]);
      hi = Math.max(hi, data[i]);
    }
    assert.ok(hi - lo > 100, 'the grid is flat');
  });
});
