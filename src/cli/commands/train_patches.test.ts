/**
 * `train --data patches` end to end on a tiny photo folder written by the test: a Gaussian DAE
 * and a Gaussian RBM on 6×6 whitened patches, their zca.json and Gabor measure in metrics.json,
 * `filters` drawing the first layer; bad combinations refused in one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '../../..');
function deepvis(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/deepvis-dev.ts'), ...args],
    { cwd: root, encoding: 'utf8' },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let photos: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-patches-cli-'));
  photos = path.join(dir, 'photos');
  const px = Buffer.from(
    Array.from({ length: 48 * 48 }, (_, i) =>
      Math.floor(128 + 90 * Math.sin((i % 48) / 3) * Math.cos(Math.floor(i / 48) / 5)),
    ),
  );
  await import('node:fs/promises').then((fs) => fs.mkdir(photos));
  await sharp(px, { raw: { width: 48, height: 48, channels: 1 } })
    .png()
    .toFile(path.join(photos, 'waves.png'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('train --data patches', () => {
  for (const arch of ['dae', 'rbm']) {
    it(`${arch}: trains on whitened patches, saves zca.json and the Gabor measure; filters draws it`, () => {
      const out = path.join(dir, arch);
      const t = deepvis(
        'train',
        '--arch',
        arch,
        '--data',
        'patches:6',
        '--photos',
        photos,
        '--patches',
        '300',
        '--layers',
        '8',
        '--pretrain-epochs',
        '1',
        '--noise',
        'salt-pepper:0.2',
        '--out',
        out,
        '--quiet',
      );
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /first layer: [\d.]+% of 8 filters Gabor-like/);
      const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
      assert.equal(metrics.model, arch === 'rbm' ? 'grbm' : 'gsdae');
      assert.equal(metrics.pretrain[0].values.length, 1);
      assert.ok(metrics.gabor.fraction >= 0 && metrics.gabor.fraction <= 1);
      const zca = JSON.parse(readFileSync(path.join(out, 'zca.json'), 'utf8'));
      assert.equal(zca.matrix.length, 36 * 36);
      const model = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
      const meta = model.userDefinedMetadata.deepvis;
      assert.deepEqual(meta.imageShape, [6, 6, 1]);
      assert.ok(meta.inputRange[0] < 0, 'whitened patches are not in [0, 1]');
      assert.equal(meta.stack.visible, 'gaussian');
      const f = deepvis('filters', '--model', out, '--out', path.join(dir, `${arch}-filters`));
      assert.equal(f.code, 0, f.stderr);
      assert.ok(existsSync(path.join(dir, `${arch}-filters`, 'h1-filters.png')));
    });
  }

  it('refuses a classifier on patches and a malformed spec in one line', () => {
    const a = deepvis(
      'train',
      '--arch',
      'cnn',
      '--data',
      'patches',
      '--photos',
      photos,
      '--out',
      path.join(dir, 'x'),
    );
    assert.equal(a.code, 1);
    assert.match(a.stderr, /trains --arch rbm\|dbn \(Gaussian RBM\) or sae\|dae/);
    const b = deepvis(
      'train',
      '--arch',
      'dae',
      '--data',
      'patches:big',
      '--out',
      path.join(dir, 'y'),
    );
    assert.equal(b.code, 1);
    assert.match(b.stderr, /natural patches are patches or patches:SIZE/);
    assert.equal(b.stderr.trim().split('\n').length, 1);
  });
});
