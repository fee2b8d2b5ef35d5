/**
 * serve --report: a report site is paired with the served model of its content hash, and only the
 * site's own files inside its folder are handed out (no '..', dotfiles, other kinds, symlinks out).
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../io/model_files.js';
import { modelHash } from '../report/model_hash.js';
import { DeepvisError } from '../errors.js';
import { atlasFile, matchAtlases } from './atlas.js';
import { setup } from '../../test/helpers.js';

let dir: string;
before(async () => {
  await setup('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-atlas-'));
  for (const [name, units] of [
    ['a', 2],
    ['b', 3],
  ] as const) {
    const m = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units, name: `d${name}` })],
    });
    await saveLayersModel(m, path.join(dir, name), { inputRange: [0, 1] });
  }
  const site = path.join(dir, 'site');
  mkdirSync(path.join(site, 'units/db'), { recursive: true });
  writeFileSync(
    path.join(site, 'index.json'),
    JSON.stringify({ hash: await modelHash(path.join(dir, 'b')), plan: { layers: ['db'] } }),
  );
  writeFileSync(path.join(site, 'units/db/0.json'), '{}');
  writeFileSync(path.join(site, 'units/db/0.txt'), 'not a site file');
  writeFileSync(path.join(site, '.secret.json'), '{}');
  writeFileSync(path.join(dir, 'outside.json'), '{}');
  symlinkSync(path.join(dir, 'outside.json'), path.join(site, 'link.json'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('serve --report', () => {
  it('pairs a site with the served model whose content hash it names, with its layers', async () => {
    const [a] = await matchAtlases(
      [path.join(dir, 'site')],
      [path.join(dir, 'a'), path.join(dir, 'b')],
    );
    assert.equal(a.model, 1);
    assert.deepEqual(a.layers, ['db']);
  });

  it('refuses a site of a model that is not served, and a folder that is no site, in one line', async () => {
    await assert.rejects(
      matchAtlases([path.join(dir, 'site')], [path.join(dir, 'a')]),
      (e: Error) =>
        e instanceof DeepvisError && /not served/.test(e.message) && !e.message.includes('\n'),
    );
    await assert.rejects(
      matchAtlases([path.join(dir, 'a')], [path.join(dir, 'a')]),
      (e: Error) => e instanceof DeepvisError && /not a deepvis report folder/.test(e.message),
    );
  });

  it('hands out only the site’s own files inside its folder', async () => {
    const [a] = await matchAtlases([path.join(dir, 'site')], [path.join(dir, 'b')]);
    assert.equal(await atlasFile(a, 'units/db/0.json'), path.join(a.realDir, 'units/db/0.json'));
    for (const bad of [
      'units/db/0.txt',
      '.secret.json',
      '../outside.json',
      'units/../../outside.json',
      'link.json',
      'units/db/9.json',
      '',
      'units//db/0.json',
    ]) {
      assert.equal(await atlasFile(a, bad), null, bad);
    }
  });
});
