/**
 * CI completeness (issue 25, item 7): every Debian package the product reads is installed when
 * CI=true (.ci/run installs them), so no test takes a "data absent" branch there (those branches
 * call dataAbsent, which fails under CI). Outside CI this test is skipped: a developer's machine
 * may lack a package, and the branches say so.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FASHION_MNIST_DIR } from '../src/data/idx.js';
import { SKIMAGE_DATA, SKIMAGE_PHOTOS } from '../src/data/natural_patches.js';
import { PHOTO_CLASSES } from '../src/data/photo_crops.js';
import { CHROMIUM } from './chromium.js';
import { dataAbsent } from './helpers.js';

const CI = process.env.CI === 'true';

describe('CI has every data package the product reads', () => {
  it(
    'chromium, dataset-fashion-mnist, python3-skimage',
    { skip: !CI && 'CI=true only (.ci/run)' },
    () => {
      const files = [
        CHROMIUM,
        ...['train', 't10k']
          .flatMap((p) => [`${p}-images-idx3-ubyte.gz`, `${p}-labels-idx1-ubyte.gz`])
          .map((f) => path.join(FASHION_MNIST_DIR, f)),
        ...[...SKIMAGE_PHOTOS, ...PHOTO_CLASSES.flatMap((c) => c.files)].map((f) =>
          path.join(SKIMAGE_DATA, f),
        ),
      ];
      const absent = files.filter((f) => !existsSync(f));
      assert.deepEqual(absent, [], `.ci/run should have installed: ${absent.join(', ')}`);
    },
  );

  it('a "data absent" branch fails under CI and passes outside it', () => {
    if (CI) assert.throws(() => dataAbsent('a data set'), /absent in CI/);
    else assert.equal(dataAbsent('a data set'), true);
  });
});
