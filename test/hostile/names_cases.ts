/**
 * Layer names as page and file names (src/render/names.ts): the encoding is injective (the names
 * the old one mapped to the same file — 'a/b' and 'a:b' both 'a_b' — stay apart), safe (no '/',
 * no leading '.', so '..' cannot put pages at the site's root) and bounded (a 5,000-character name
 * no longer fails with "name too long" after all the work).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { layerPath, unitPath } from '../../src/report/pages.js';
import { fileStem, MAX_STEM } from '../../src/render/names.js';
import type { Case } from './kit.js';

/** What names used to become. */
const oldStem = (name: string) => name.replace(/[^\w.+-]+/g, '_');
const SAFE = /^[A-Za-z0-9_+~-][A-Za-z0-9_.+~-]*$/;

const COLLIDING = [
  'a/b',
  'a:b',
  'a b',
  'a\\b',
  'a*b',
  'a?b',
  'a"b',
  'a<b>',
  'a|b',
  'a\tb',
  'a\nb',
  'a%2Fb',
  'a#b',
  'a&b',
  "a'b",
  'a;b',
  'a=b',
  'a,b',
  'a@b',
  'a~b',
  'conv/1:0',
  'block1/conv1/Relu:0',
  'ü',
  '层',
  '😀',
  'a//b',
  'a/:b',
  '/a',
  'a/',
  'a::b',
];

const inside = (rel: string, folder: string) => {
  const n = path.posix.normalize(rel);
  return n.startsWith(`${folder}/`) && !n.split('/').includes('..');
};

export const NAME_CASES: Case[] = [
  ...COLLIDING.map((name): Case => ({
    surface: 'names',
    name: `${JSON.stringify(name)} and ${JSON.stringify(oldStem(name))} get different, safe file names`,
    run: () => {
      const a = fileStem(name),
        b = fileStem(oldStem(name));
      assert.notEqual(
        a,
        b,
        `${JSON.stringify(name)} collides with ${JSON.stringify(oldStem(name))}`,
      );
      assert.match(a, SAFE);
      assert.notEqual(layerPath(name), layerPath(oldStem(name)));
    },
  })),
  ...['..', '.', '.hidden', '...'].map((name): Case => ({
    surface: 'names',
    name: `a layer named ${JSON.stringify(name)} keeps its pages inside layers/ and units/`,
    run: () => {
      assert.ok(!fileStem(name).startsWith('.'), fileStem(name));
      assert.ok(inside(layerPath(name), 'layers'), layerPath(name));
      assert.ok(
        inside(unitPath(name, 3), 'units') &&
          path.posix.normalize(unitPath(name, 3)).split('/').length === 3,
        unitPath(name, 3),
      );
    },
  })),
  {
    surface: 'names',
    name: 'a 5,000-character name gets a bounded file name',
    run: () => {
      const stem = fileStem('x'.repeat(5000));
      assert.ok(stem.length <= MAX_STEM + 22, `${stem.length} characters`);
      assert.ok(Buffer.byteLength(`${stem}-erhan.json`) <= 255);
    },
  },
  {
    surface: 'names',
    name: 'two long names that share their first 200 characters get bounded names that stay apart',
    run: () => {
      const head = 'block_'.repeat(40);
      const [a, b] = [fileStem(`${head}conv1`), fileStem(`${head}conv2`)];
      assert.notEqual(a, b);
      assert.ok(
        a.length <= MAX_STEM + 22 && b.length <= MAX_STEM + 22,
        `${a.length}, ${b.length} characters`,
      );
    },
  },
  {
    surface: 'names',
    name: 'a long name of multi-byte characters stays under the file system’s 255 bytes',
    run: () => {
      const stem = fileStem(`${'层'.repeat(40)}${'x'.repeat(300)}`);
      assert.ok(Buffer.byteLength(`${stem}.html`) <= 255, `${Buffer.byteLength(stem)} bytes`);
      assert.match(stem, SAFE);
    },
  },
];
