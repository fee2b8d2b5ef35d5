/**
 * Decompression and declared-size bombs, built in memory by streaming (the test never holds the
 * inflated bytes): a .keras zip whose entries inflate 1000:1, an HDF5 file of a few KB declaring a
 * 1 GB dataset, gzipped IDX files inflating past their header's count or declaring billions of
 * images. Each is refused from its header or after a few MB of output, in one line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Gzip, Zip, ZipDeflate, ZipPassThrough, unzipSync } from 'fflate';
import { parseIdx } from '../../src/data/idx.js';
import { h5Module } from '../../src/model/formats/keras/h5module.js';
import { readH5 } from '../../src/model/formats/keras/h5tree.js';
import { loadKeras } from '../../src/model/formats/keras/load.js';
import { refuses, root, withBudget, type Case } from './kit.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(path.join(root, 'test/fixtures/keras', name)));

/** A zip of `files`, plus `zeros` bytes of zeros streamed into entry `bomb` (deflated, ~1000:1). */
function zipWith(
  files: Record<string, Uint8Array>,
  bomb?: { name: string; zeros: number },
): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  for (const [name, bytes] of Object.entries(files)) {
    const f = new ZipPassThrough(name);
    zip.add(f);
    f.push(bytes, true);
  }
  if (bomb) {
    const f = new ZipDeflate(bomb.name, { level: 6 });
    zip.add(f);
    const chunk = new Uint8Array(1 << 22);
    for (let left = bomb.zeros; left > 0; left -= chunk.length)
      f.push(left > chunk.length ? chunk : chunk.subarray(0, left), left <= chunk.length);
  }
  zip.end();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** seq_k3.keras's own entries, with model.weights.h5 (or another entry) replaced by a bomb. */
function kerasBomb(entry: string, zeros: number): Uint8Array {
  const files = unzipSync(fixture('seq_k3.keras'));
  delete files[entry];
  return zipWith(files, { name: entry, zeros });
}

/** An IDX header [count, 28, 28] gzipped, followed by `trailing` zero bytes (streamed). */
function idxGz(count: number, trailing: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const gz = new Gzip({ level: 1 }, (chunk) => parts.push(chunk));
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x00000803, 0);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(28, 8);
  head.writeUInt32BE(28, 12);
  gz.push(new Uint8Array(head), trailing === 0);
  const chunk = new Uint8Array(1 << 22);
  for (let left = trailing; left > 0; left -= chunk.length)
    gz.push(left > chunk.length ? chunk : chunk.subarray(0, left), left <= chunk.length);
  return Uint8Array.from(Buffer.concat(parts));
}

const rssMB = () => process.memoryUsage().rss / 2 ** 20;
const peakMB = () => process.resourceUsage().maxRSS / 1024;

export const BOMB_CASES: Case[] = [
  {
    surface: 'keras',
    name: 'a .keras whose model.weights.h5 inflates 256 MB of zeros is refused as a zip bomb',
    timeout: 60_000,
    run: () =>
      refuses(
        () => loadKeras(kerasBomb('model.weights.h5', 2 ** 28), 'bomb.keras', {}, {}),
        /bomb\.keras: refused: entry model\.weights\.h5 inflates more than 200 times its .* \(a zip bomb\?\)/,
      ),
  },
  {
    surface: 'keras',
    name: 'a .keras whose config.json inflates 64 MB is refused as a zip bomb',
    timeout: 60_000,
    run: () =>
      refuses(
        () => loadKeras(kerasBomb('config.json', 2 ** 26), 'bomb.keras', {}, {}),
        /entry config\.json inflates more than 200 times/,
      ),
  },
  {
    surface: 'keras',
    name: 'a .keras whose entries inflate past the memory budget is refused',
    run: () =>
      withBudget(0.02, () =>
        refuses(
          () => loadKeras(fixture('seq_k3.keras'), 'small.keras', {}, {}),
          /small\.keras: refused: .*memory budget of 21 KB|small\.keras: refused: entry .* declares .* more than the memory budget/,
        ),
      ),
  },
  {
    surface: 'keras',
    name: 'an HDF5 file of a few KB declaring an unused 1 GB dataset is refused before reading it',
    run: async () => {
      const h5 = await h5Module();
      const name = `/hostile-${process.pid}.h5`;
      const f = new h5.File(name, 'w');
      const d = f.create_dataset({
        name: 'unused',
        data: new Float32Array(16),
        shape: [16],
        maxshape: [null],
        chunks: [1024],
      } as never);
      (d as unknown as { resize(s: number[]): void }).resize([2 ** 28]);
      f.close();
      const FS = h5.FS as unknown as { readFile(p: string): Uint8Array; unlink(p: string): void };
      const bytes = FS.readFile(name);
      FS.unlink(name);
      assert.ok(bytes.length < 16_000, `fixture is ${bytes.length} bytes`);
      const before = rssMB();
      await refuses(
        () => readH5(bytes, 'bomb.h5'),
        /bomb\.h5: dataset \/unused declares 268,435,456 values \(1\.0 GB\) in a file of [\d,]+ bytes; refused/,
        10_000,
      );
      assert.ok(rssMB() - before < 256, 'it was not read');
    },
  },
  {
    surface: 'keras',
    name: "an HDF5 model's datasets past the memory budget are refused",
    run: () =>
      withBudget(0.0005, () =>
        refuses(
          () => loadKeras(fixture('seq_k22.h5'), 'seq.h5', {}, {}),
          /seq\.h5: dataset \S+ \(.*as float32\) with the datasets before it is more than the memory budget of/,
        ),
      ),
  },
  {
    surface: 'idx',
    name: 'a gzipped IDX file inflating 768 MB past its header stops at the header’s count',
    timeout: 90_000,
    run: () => {
      const gz = idxGz(10, 768 * 2 ** 20);
      const peak = peakMB(),
        now = rssMB();
      const parsed = parseIdx(gz, 'bomb.idx.gz');
      assert.deepEqual(parsed.dims, [10, 28, 28]);
      assert.equal(parsed.data.length, 7840);
      assert.ok(
        peakMB() < Math.max(peak, now + 384),
        `inflated far past the header: peak ${peakMB()} MB from ${now} MB`,
      );
    },
  },
  {
    surface: 'idx',
    name: 'a gzipped IDX header declaring 10^9 images is refused from the header',
    run: () =>
      refuses(
        () => parseIdx(idxGz(1e9, 0), 'big.idx.gz'),
        /big\.idx\.gz declares \[1000000000, 28, 28\] = 784,000,000,000 values .* more than the memory budget/,
      ),
  },
  {
    surface: 'idx',
    name: 'a plain IDX header declaring 10^8 images is refused from the header',
    run: () => {
      const head = Buffer.alloc(16);
      head.writeUInt32BE(0x00000803, 0);
      head.writeUInt32BE(1e8, 4);
      head.writeUInt32BE(28, 8);
      head.writeUInt32BE(28, 12);
      return refuses(
        () => parseIdx(new Uint8Array(head), 'big.idx'),
        /big\.idx declares \[100000000, 28, 28\] .* more than the memory budget/,
      );
    },
  },
];
