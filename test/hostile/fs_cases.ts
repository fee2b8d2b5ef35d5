/**
 * The fence (src/io/fence.ts) itself: every operation × every hostile thing planted in the tree —
 * a link to an outside file, a folder on the way that links outside, a FIFO, a socket. A read or a
 * listing refuses in one line (fast: no FIFO waits), a write replaces a planted link instead of
 * writing through it, an unlink never removes what is not a regular file reached through real folders.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  appendFenced,
  listFenced,
  readFenced,
  readRegular,
  unlinkFenced,
  writeFenced,
  writeFencedMany,
} from '../../src/io/fence.js';
import { fresh, mkfifo, refuses, socketAt, victim, within, type Case } from './kit.js';

type Hazard = 'file link' | 'folder link' | 'FIFO' | 'socket';
const HAZARDS: Hazard[] = ['file link', 'folder link', 'FIFO', 'socket'];

/** A tree with `d/f` made hostile; returns the tree, the rel path and the victim. */
async function planted(h: Hazard) {
  const v = victim();
  const tree = fresh(`fence-${h}`);
  let rel = 'd/f';
  mkdirSync(path.join(tree, 'd'));
  if (h === 'file link') symlinkSync(v.secret, path.join(tree, 'd/f'));
  if (h === 'folder link') {
    symlinkSync(v.dir, path.join(tree, 'e'));
    rel = 'e/secret.txt';
  }
  if (h === 'FIFO') mkfifo(path.join(tree, 'd/f'));
  if (h === 'socket') await socketAt(path.join(tree, 'd/f'));
  return { tree, rel, v, file: path.join(tree, rel) };
}

const ONE = /refused|cannot write/;

export const FENCE_CASES: Case[] = [
  ...HAZARDS.map((h): Case => ({
    surface: 'fence',
    name: `read through ${h} is refused in one line`,
    run: async () => {
      const p = await planted(h);
      await refuses(readFenced(p.tree, p.rel, 'test'), /refused/, 5000, [p.file]);
    },
  })),
  ...HAZARDS.map((h): Case => ({
    surface: 'fence',
    name: `listing a folder holding ${h} refuses it`,
    run: async () => {
      const p = await planted(h);
      await refuses(listFenced(p.tree, path.dirname(p.rel), 'test'), /refused/, 5000);
    },
  })),
  ...HAZARDS.map((h): Case => ({
    surface: 'fence',
    name: `write over ${h} never writes outside the tree`,
    run: async () => {
      const p = await planted(h);
      try {
        await within(5000, writeFenced(p.tree, p.rel, 'MINE\n', 'test'), [p.file]);
        // Written: then as a regular file of the tree itself, the planted thing replaced.
        assert.ok(lstatSync(p.file).isFile());
        assert.equal(readFileSync(p.file, 'utf8'), 'MINE\n');
        assert.notEqual(h, 'folder link', 'a write through a linked folder must be refused');
      } catch (e) {
        assert.match((e as Error).message, ONE);
      }
      p.v.intact();
    },
  })),
  ...HAZARDS.map((h): Case => ({
    surface: 'fence',
    name: `a batch write (writeFencedMany) over ${h} never writes outside the tree`,
    run: async () => {
      const p = await planted(h);
      // A good file in a real folder beside the hostile one, as the atlas writes an artifact's images.
      mkdirSync(path.join(p.tree, 'ok'), { recursive: true });
      const files = [
        ['ok/a.png', 'A'] as const,
        [p.rel, 'MINE\n'] as const,
        ['ok/b.png', 'B'] as const,
      ];
      try {
        await within(5000, writeFencedMany(p.tree, files, 'test', 2), [p.file]);
        assert.ok(lstatSync(p.file).isFile());
        assert.equal(readFileSync(p.file, 'utf8'), 'MINE\n');
        assert.equal(readFileSync(path.join(p.tree, 'ok/b.png'), 'utf8'), 'B');
        assert.notEqual(h, 'folder link', 'a write through a linked folder must be refused');
      } catch (e) {
        assert.match((e as Error).message, ONE);
      }
      p.v.intact();
    },
  })),
  ...HAZARDS.map((h): Case => ({
    surface: 'fence',
    name: `unlink of ${h} leaves it and the outside alone`,
    run: async () => {
      const p = await planted(h);
      assert.equal(await within(5000, unlinkFenced(p.tree, p.rel, 'test')), false);
      assert.ok(lstatSync(p.file), 'the planted entry is still there');
      p.v.intact();
    },
  })),
  ...HAZARDS.map((h): Case => ({
    surface: 'fence',
    name: `append to ${h} is refused in one line`,
    run: async () => {
      const p = await planted(h);
      await refuses(appendFenced(p.tree, p.rel, 'MINE\n', 'test'), ONE, 5000, [p.file]);
      p.v.intact();
    },
  })),
  {
    surface: 'fence',
    name: 'readRegular refuses a FIFO without waiting for a writer',
    run: async () => {
      const f = mkfifo(path.join(fresh('rr-fifo'), 'weights.bin'));
      await refuses(
        readRegular(f, 'weight file'),
        /weights\.bin is a FIFO \(named pipe\); refused/,
        5000,
        [f],
      );
    },
  },
  {
    surface: 'fence',
    name: 'readRegular refuses a socket',
    run: async () => {
      const s = await socketAt(path.join(fresh('rr-sock'), 'model.onnx'));
      await refuses(readRegular(s, 'model file'), /model\.onnx is a socket/, 5000);
    },
  },
  {
    surface: 'fence',
    name: 'readRegular refuses a device reached through a link (/dev/zero would never end)',
    run: async () => {
      const l = path.join(fresh('rr-dev'), 'weights.bin');
      symlinkSync('/dev/zero', l);
      await refuses(readRegular(l, 'weight file'), /is a device; refused/, 5000);
    },
  },
  {
    surface: 'fence',
    name: 'readRegular refuses a folder in one line',
    run: async () => {
      const d = path.join(fresh('rr-dir'), 'ext.bin');
      mkdirSync(d);
      await refuses(readRegular(d, 'external data'), /ext\.bin is a folder; refused/, 5000);
    },
  },
  {
    surface: 'fence',
    name: 'readRegular refuses a file past its limit from its size, before reading it',
    run: async () => {
      const f = path.join(fresh('rr-big'), 'model.onnx');
      writeFileSync(f, Buffer.alloc(4096));
      await refuses(
        readRegular(f, 'model file', { maxBytes: 1000, limitName: 'the memory budget' }),
        /model\.onnx is 4,096 bytes, more than the memory budget of 1,000 bytes; refused/,
      );
    },
  },
];
