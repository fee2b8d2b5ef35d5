/**
 * The natural-image settings reach the layers: naturalStackArgs gives salt-and-pepper levels at
 * ±2 rms of the SDAE's scaled patches (also when the noise is given without levels), and
 * trainStack hands visible units, optimizer and weight decay to the autoencoder layer — changing
 * any of them changes the training history.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { naturalStackArgs, NATURAL_DEFAULTS, patchSet } from './natural.js';
import { trainStack, type StackArgs } from './stack.js';
import type { NaturalPatches } from '../data/natural_patches.js';
import { Rng } from '../engine/rng.js';
import { setup } from '../../test/helpers.js';

before(() => setup('wasm'));

const rng = new Rng(8);
const count = 256;
const fake = {
  patches: Float32Array.from({ length: count * 16 }, () => rng.normal()),
  size: 4,
  count,
} as unknown as NaturalPatches;

describe('natural-image stack settings', () => {
  it('SDAE: patches at rms 1/3, salt-and-pepper at ±2/3; the RBM: Gaussian DBN at rms 1', () => {
    const set = patchSet(fake, NATURAL_DEFAULTS.gsdae.rms);
    assert.ok(Math.abs(set.images[5] - fake.patches[5] / 3) < 1e-6);
    const a = naturalStackArgs('gsdae', set);
    assert.equal(a.kind, 'sae');
    assert.equal(a.visible, 'gaussian');
    assert.deepEqual(a.noise?.values, [-2 / 3, 2 / 3]);
    const given = naturalStackArgs('gsdae', set, {
      noise: { kind: 'salt-pepper-iid', level: 0.1 },
    });
    assert.deepEqual(given.noise, { kind: 'salt-pepper-iid', level: 0.1, values: [-2 / 3, 2 / 3] });
    assert.deepEqual(
      naturalStackArgs('gsdae', set, { noise: { kind: 'mask', level: 0.1 } }).noise,
      { kind: 'mask', level: 0.1 },
    );
    const r = naturalStackArgs('grbm', patchSet(fake), { hidden: 7 });
    assert.equal(r.kind, 'dbn');
    assert.deepEqual(r.layers, [7]);
    assert.ok(r.inputRange![0] < 0 && r.inputRange![1] > 0);
  });

  it('trainStack passes visible units, optimizer and weight decay to the autoencoder layers', async () => {
    const set = patchSet(fake, 1 / 3);
    const base: StackArgs = {
      ...naturalStackArgs('gsdae', set, { hidden: 6, epochs: 2, seed: 1 }),
      batchSize: 32,
    };
    const history = async (a: StackArgs) => {
      const r = await trainStack(set, set, a);
      r.model.dispose();
      return r.pretrain[0];
    };
    const ref = await history(base);
    assert.equal(ref.length, 2);
    for (const change of [
      { visible: 'binary' as const },
      { optimizer: 'sgd' as const },
      { weightDecay: 0.5 },
    ]) {
      const other = await history({ ...base, ...change });
      assert.notDeepEqual(other, ref, JSON.stringify(change));
    }
  });
});
