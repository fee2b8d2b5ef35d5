/**
 * The atlas's artifact store (src/report/store.ts) with links, FIFOs and forged manifests planted
 * in its folder or in a shard it absorbs: nothing outside is written, read, copied or removed, and
 * prune() removes only regular files the store itself recorded writing.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArtifactStore, contentKey } from '../../src/report/store.js';
import { fresh, mkfifo, refuses, victim, within, type Case } from './kit.js';

const blank = { width: 2, height: 2, data: new Uint8ClampedArray(16).fill(200) };
const compute = () => ({ data: { ok: 1 }, images: { t: blank } });

/** A store with one artifact written by itself (kind 'k'), returning its key. */
async function ownStore(name: string) {
  const dir = fresh(name);
  const store = new ArtifactStore(dir);
  const own = await store.cached('k', { n: 1 }, compute);
  return { dir, store, key: own.key };
}

export const STORE_CASES: Case[] = [
  {
    surface: 'store',
    name: 'a/scan linked to an outside folder: the run refuses, prune deletes nothing there (severe 1)',
    run: async () => {
      const v = victim();
      const { dir, store } = await ownStore('store-scanlink');
      symlinkSync(v.dir, path.join(dir, 'a', 'scan'));
      await refuses(store.cached('scan', { x: 1 }, compute), /a\/scan is a symbolic link; refused/);
      await store.prune(new Set());
      v.intact();
    },
  },
  {
    surface: 'store',
    name: 'the store folder a/ itself linked outside: refused, nothing deleted there (severe 1)',
    run: async () => {
      const v = victim();
      const dir = fresh('store-alink');
      symlinkSync(v.dir, path.join(dir, 'a'));
      const store = new ArtifactStore(dir);
      await refuses(store.cached('k', { x: 1 }, compute), /\/a is a symbolic link; refused/);
      await store.prune(new Set()).catch(() => 0);
      v.intact();
    },
  },
  {
    surface: 'store',
    name: "an artifact's JSON replaced by a FIFO is refused at once, not waited on",
    run: async () => {
      const { dir, store } = await ownStore('store-fifo');
      const key = contentKey({ kind: 'k', parts: { n: 2 } });
      const f = mkfifo(path.join(dir, 'a', 'k', `${key}.json`));
      await refuses(
        store.cached('k', { n: 2 }, compute),
        /is a FIFO \(named pipe\); refused/,
        5000,
        [f],
      );
    },
  },
  {
    surface: 'store',
    name: 'prune leaves a file it did not write, even one named like an artifact',
    run: async () => {
      const { dir, store } = await ownStore('store-stranger');
      const stranger = path.join(dir, 'a', 'k', 'ffffffffffffffffffff-mine.png');
      writeFileSync(stranger, 'the user put this here');
      await store.prune(new Set());
      assert.ok(existsSync(stranger), 'a file the store never wrote was removed');
    },
  },
  {
    surface: 'store',
    name: "prune ignores a forged manifest naming '../' paths outside the store",
    run: async () => {
      const v = victim();
      const { dir, store } = await ownStore('store-forged');
      const up = path.relative(dir, v.secret).split(path.sep).join('/');
      writeFileSync(
        path.join(dir, 'a', '.written'),
        [`a/k/../../${up}`, up, v.secret, `a/../${up}`].join('\n') + '\n',
      );
      await store.prune(new Set());
      v.intact();
    },
  },
  {
    surface: 'store',
    name: 'prune does not follow a recorded name that became a link to an outside file',
    run: async () => {
      const v = victim();
      const { dir, store, key } = await ownStore('store-relink');
      const png = path.join(dir, 'a', 'k', `${key}-t.png`);
      const { rmSync } = await import('node:fs');
      rmSync(png);
      symlinkSync(v.secret, png);
      await store.prune(new Set());
      v.intact();
      assert.ok(lstatSync(png).isSymbolicLink(), 'the link itself is not the store’s file either');
    },
  },
  {
    surface: 'store',
    name: 'prune never walks into a linked kind folder (the old cleanup emptied it)',
    run: async () => {
      const v = victim();
      const { dir, store, key } = await ownStore('store-kindlink');
      symlinkSync(v.dir, path.join(dir, 'a', 'lnk'));
      writeFileSync(
        path.join(dir, 'a', '.written'),
        `a/lnk/0123456789abcdef0123-x.png\na/k/${key}-t.png\n`,
      );
      const removed = await store.prune(new Set());
      v.intact();
      assert.equal(removed, 1, 'its own stale image goes');
      assert.ok(!existsSync(path.join(dir, 'a', 'k', `${key}-t.png`)));
    },
  },
  {
    surface: 'store',
    name: 'a cached JSON read through a linked kind folder is refused, not taken as a hit',
    run: async () => {
      const v = victim();
      const dir = fresh('store-readlink');
      mkdirSync(path.join(dir, 'a'), { recursive: true });
      const key = contentKey({ kind: 'k', parts: { n: 3 } });
      writeFileSync(
        path.join(v.dir, 'sub', `${key}.json`),
        JSON.stringify({ key, kind: 'k', parts: {}, data: 'planted', images: {} }),
      );
      symlinkSync(path.join(v.dir, 'sub'), path.join(dir, 'a', 'k'));
      await refuses(
        new ArtifactStore(dir).cached('k', { n: 3 }, compute),
        /a\/k is a symbolic link; refused/,
      );
    },
  },
  {
    surface: 'merge',
    name: "a shard's artifact linked to a secret is refused; nothing is copied (severe 2)",
    run: async () => {
      const v = victim();
      const shard = await ownStore('shard-link');
      symlinkSync(v.secret, path.join(shard.dir, 'a', 'k', `${shard.key}-zz.png`));
      const site = new ArtifactStore(fresh('site-link'));
      await refuses(site.absorb(shard.dir), /-zz\.png is a symbolic link; refused/);
      assert.ok(!existsSync(path.join(site.root, 'a', 'k', `${shard.key}-zz.png`)));
    },
  },
  {
    surface: 'merge',
    name: "a shard's kind folder linked outside is refused",
    run: async () => {
      const v = victim();
      const shard = await ownStore('shard-kindlink');
      symlinkSync(v.dir, path.join(shard.dir, 'a', 'scan'));
      const site = new ArtifactStore(fresh('site-kindlink'));
      await refuses(site.absorb(shard.dir), /a\/scan is a symbolic link; refused/);
      assert.ok(!existsSync(path.join(site.root, 'a', 'scan')));
    },
  },
  {
    surface: 'merge',
    name: 'a shard whose a/ is a link is refused',
    run: async () => {
      const v = victim();
      const dir = fresh('shard-alink');
      symlinkSync(v.dir, path.join(dir, 'a'));
      await refuses(
        new ArtifactStore(fresh('site-alink')).absorb(dir),
        /\/a is a symbolic link; refused/,
      );
    },
  },
  {
    surface: 'merge',
    name: "a FIFO in a shard's store is refused at once",
    run: async () => {
      const shard = await ownStore('shard-fifo');
      const f = mkfifo(path.join(shard.dir, 'a', 'k', 'abcdefabcdefabcdefab.json'));
      await refuses(
        new ArtifactStore(fresh('site-fifo')).absorb(shard.dir),
        /is a FIFO \(named pipe\); refused/,
        5000,
        [f],
      );
    },
  },
  {
    surface: 'merge',
    name: "only a shard's own kind of file is copied (a stray 'passwd' is not)",
    run: async () => {
      const shard = await ownStore('shard-stray');
      writeFileSync(path.join(shard.dir, 'a', 'k', 'passwd'), 'root:x:0:0\n');
      const site = new ArtifactStore(fresh('site-stray'));
      await within(10_000, site.absorb(shard.dir));
      const copied = readdirSync(path.join(site.root, 'a', 'k'));
      assert.ok(!copied.includes('passwd'), `copied: ${copied.join(', ')}`);
      assert.ok(
        copied.some((f) => f.startsWith(shard.key)),
        'the real artifact is copied',
      );
    },
  },
];
