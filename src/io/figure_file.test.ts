/**
 * Figures written as files: the PNG keeps the tiles' exact pixels (nearest-neighbour, at least
 * 128 px) and draws the labels in a real font (anti-aliased greys, not the bitmap font's two
 * colours); the SVG next to it holds the text as text. `--scale` is parsed in one line.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { figureFrom } from '../cli/command.js';
import { PAPER, type ImageMark, type TextMark } from '../render/figure.js';
import { grid } from '../render/grid.js';
import { toImage } from '../render/image.js';
import { barChart } from '../render/plots.js';
import { figureFiles } from './figure_file.js';
import { OutputSession } from './output.js';

/** A 28×28 tile: left half 0 (black), right half 1 (white). */
const halves = () =>
  toImage(
    Array.from({ length: 28 * 28 }, (_, i) => (i % 28 < 14 ? 0 : 1)),
    [28, 28, 1],
  );

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, info, at: (x: number, y: number) => data[(y * info.width + x) * info.channels] };
}

describe('figure files', () => {
  const name = 'Greater Swiss Mountain dog';
  const img = grid([halves(), halves()], { labels: [name, 'b'], title: 'attribution of fc' });

  it('PNG: tiles ×5 nearest-neighbour with exact pixels, labels in an anti-aliased real font', async () => {
    const fig = img.figure!(PAPER);
    const files = (await figureFiles(img, PAPER))!;
    const { info, at } = await pixels(files.png);
    assert.deepEqual([info.width, info.height], [Math.ceil(fig.width), Math.ceil(fig.height)]);
    const tile = fig.marks.find((m): m is ImageMark => m.kind === 'image')!;
    assert.equal(tile.factor, 5);
    const [x, y] = [Math.round(tile.x), Math.round(tile.y)];
    // Column 13 of the tile is black, column 14 white: at ×5 the edge is between pixels 69 and 70.
    assert.deepEqual([at(x + 69, y + 3), at(x + 70, y + 3), at(x + 139, y + 139)], [0, 255, 255]);
    const label = fig.marks.find(
      (m): m is TextMark => m.kind === 'text' && m.text.startsWith('Greater'),
    )!;
    const levels = new Set<number>();
    for (let yy = Math.round(label.y); yy < label.y + label.size * 1.25; yy++)
      for (let xx = x; xx < x + 140; xx++) levels.add(at(xx, yy));
    assert.ok(Math.min(...levels) < 90, `dark ink under the label (levels ${[...levels].length})`);
    // The bitmap font has two levels (ink and paper); a rasterized font has anti-aliased edges.
    assert.ok(levels.size > 8, `anti-aliased text: ${levels.size} grey levels`);
  });

  it('SVG: the label as text, whole; tiles embedded pixelated; it renders at the PNG size', async () => {
    const files = (await figureFiles(img, PAPER))!;
    const words = [
      ...files.svg.matchAll(/<text [^>]*>(?:<title>[^<]*<\/title>)?([^<]*)<\/text>/g),
    ].map((m) => m[1]);
    // 26 characters in 140 px: "Greater Swiss" (90 px) over "Mountain dog" (89 px), not cut.
    assert.deepEqual(words.slice(1, 3), ['Greater Swiss', 'Mountain dog']);
    assert.equal(words.filter((w) => name.includes(w) && w.length > 1).join(' '), name);
    assert.match(
      files.svg,
      /<image [^>]*image-rendering="pixelated"[^>]*href="data:image\/png;base64,/,
    );
    const meta = await sharp(Buffer.from(files.svg)).metadata();
    const png = await sharp(files.png).metadata();
    assert.deepEqual([meta.width, meta.height], [png.width, png.height]);
  });

  it('a plain image is no figure; a chart is', async () => {
    assert.equal(await figureFiles(halves()), null);
    const chart = barChart({
      title: 't',
      groups: ['a', 'b'],
      series: [{ label: 's', values: [1, 2] }],
    });
    const files = (await figureFiles(chart))!;
    assert.match(
      files.svg,
      /<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="rgb\(31,119,180\)"\/>/,
    );
  });

  it('an output session writes the PNG and the SVG next to it, laid out at its --scale', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-figure-'));
    try {
      const out = await OutputSession.open(
        path.join(dir, 'out'),
        '--out',
        figureFrom({ scale: '2' }),
      );
      await out.png('grid.png', img);
      await out.commit();
      assert.ok(existsSync(path.join(dir, 'out', 'grid.svg')));
      const svg = await readFile(path.join(dir, 'out', 'grid.svg'), 'utf8');
      // --scale 2: 28 px tiles drawn 56 px wide.
      assert.match(svg, /<image [^>]*width="56" height="56"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--scale: auto, a factor or a tile width; anything else is one line', () => {
    assert.deepEqual(figureFrom({}), PAPER);
    assert.deepEqual(figureFrom({ scale: 'auto' }), PAPER);
    assert.deepEqual(figureFrom({ scale: '3' }), { scale: 3 });
    assert.deepEqual(figureFrom({ scale: '256px' }), { scale: 'auto', minTile: 256 });
    for (const bad of ['0', 'x2', '1.5', '100'])
      assert.throws(() => figureFrom({ scale: bad }), /--scale must be auto, an integer factor/);
  });
});
