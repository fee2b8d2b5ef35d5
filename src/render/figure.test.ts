/**
 * Figures fit for a paper (issue 30, item 4): labels wrapped at display size and never cut (widths
 * of DejaVu Sans worked out by hand from its advance widths), tiles upscaled nearest-neighbour to
 * at least 128 px or by the factor asked for, and charts as vector marks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { figureSvg, PAPER, rasterize, type TextMark } from './figure.js';
import { gridFigure, grid, stack } from './grid.js';
import { toImage } from './image.js';
import { barChart, niceTicks } from './plots.js';
import { fitText, measureText } from './text.js';

const texts = (marks: readonly { kind: string }[]) =>
  marks.filter((m): m is TextMark => m.kind === 'text');

describe('text at display size', () => {
  it('measures DejaVu Sans: "DOG" at 13 px is (770 + 787 + 775) / 1000 × 13', () => {
    assert.equal(+measureText('DOG', 13).toFixed(3), 30.316);
    assert.equal(+measureText('DOG', 13, true).toFixed(3), +((830 + 850 + 821) * 0.013).toFixed(3));
  });

  it('wraps "GREATER SWISS MOUNTAIN DOG" into 128 px (107 px + 105.5 px), abbreviates it on one line', () => {
    // GREATER 61.4 + space 4.1 + SWISS 41.5 = 107.0; + MOUNTAIN 75.3 = 182 > 128: break.
    const two = fitText('GREATER SWISS MOUNTAIN DOG', 128, 13, 2);
    assert.deepEqual(two, { lines: ['GREATER SWISS', 'MOUNTAIN DOG'], abbreviated: false });
    // One line: 128 − '…' (13) = 115 px; "GREATER SWISS M" is 122.4 px, so "GREATER SWISS…".
    const one = fitText('GREATER SWISS MOUNTAIN DOG', 128, 13, 1);
    assert.deepEqual(one, { lines: ['GREATER SWISS…'], abbreviated: true });
  });

  it('breaks an identifier at its separators, and a piece wider than a line between characters', () => {
    const f = fitText('features.denseblock4.denselayer16.conv2', 120, 13, 3);
    assert.equal(f.lines.join(''), 'features.denseblock4.denselayer16.conv2');
    // Numbers stay whole: "g-0.42" is not split at its '-' or '.'.
    assert.deepEqual(fitText('7 Sneaker 20.7 r2.17 p4.7 g-0.42', 120, 13, 3).lines, [
      '7 Sneaker 20.7',
      'r2.17 p4.7 g-0.42',
    ]);
    const g = fitText('WWWWWWWWWWWW', 40, 13, 5);
    assert.equal(g.lines.join(''), 'WWWWWWWWWWWW');
    assert.ok(g.lines.length > 1);
  });

  it('never returns a line wider than the width (random labels)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) as number;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/×';
    for (let k = 0; k < 300; k++) {
      const text = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () =>
        alphabet.charAt(Math.floor(rnd() * alphabet.length)),
      ).join('');
      const width = 30 + Math.floor(rnd() * 150);
      const f = fitText(text, width, 13, 1 + Math.floor(rnd() * 3));
      for (const line of f.lines)
        assert.ok(measureText(line, 13) <= width + 1e-9, `${line} > ${width}`);
      if (!f.abbreviated)
        assert.equal(f.lines.join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
    }
  });
});

describe('grids at a scale', () => {
  const tiles = Array.from({ length: 6 }, (_, i) =>
    toImage(new Array(28 * 28).fill(i), [28, 28, 1]),
  );
  const factors = (o: Parameters<typeof gridFigure>[2], minTile?: number) =>
    gridFigure(tiles, { labels: tiles.map((_, i) => String(i)), minTile }, o)
      .marks.filter((m) => m.kind === 'image')
      .map((m) => (m.kind === 'image' ? m.factor : 0));

  it('auto: 28 px tiles ×5 (140 ≥ 128 px); a caller hint of 168 px ×6; --scale 2 ×2; 256px ×10', () => {
    assert.deepEqual(new Set(factors(PAPER)), new Set([5]));
    assert.deepEqual(new Set(factors(PAPER, 168)), new Set([6]));
    assert.deepEqual(new Set(factors({ scale: 2 })), new Set([2]));
    assert.deepEqual(new Set(factors({ scale: 'auto', minTile: 256 })), new Set([10]));
  });

  it('a long label under a tile is wrapped whole; one too long for 3 lines ends in … and keeps its full text', () => {
    const name = 'Greater Swiss Mountain dog';
    const long = 'Ankle boot, a short boot that covers the ankle and is worn with trousers';
    const fig = gridFigure([tiles[0], tiles[1]], { labels: [name, long] }, PAPER);
    const under = texts(fig.marks).filter((m) => m.anchor === 'middle');
    // Cells are 140 px: "Greater Swiss" (90 px) / "Mountain dog" (89 px).
    assert.deepEqual(
      under.filter((m) => m.x < 100).map((m) => m.text),
      ['Greater Swiss', 'Mountain dog'],
    );
    const second = under.filter((m) => m.x > 100);
    assert.equal(second.length, 3);
    assert.ok(second[2].text.endsWith('…'));
    assert.equal(second[2].full, long);
    for (const m of under) assert.ok(measureText(m.text, m.size) <= 140);
  });

  it('the browser raster keeps its 56 px default and its size follows the layout', () => {
    const g = grid(tiles, {
      labels: tiles.map((_, i) => String(i)),
      title: 'T',
      minTile: 8,
      gap: 2,
    });
    // 28 px tiles are already ≥ 8 px: factor 1, cells 72 px wide (the narrowest label column).
    // 3 columns of (72 + 2) + 2 = 224; 2 rows of (28 + one 13 px label line 16.25 + 4 + 2) + 2 + title 28.
    assert.equal(g.width, 224);
    assert.equal(g.height, Math.ceil(2 * (28 + 16.25 + 4 + 2) + 2 + 28));
    assert.ok(g.figure, 'a grid carries its figure');
    assert.equal(grid(tiles).width, 3 * (56 + 6) + 6);
  });

  it('a stack lays its grids out again for the figure options', () => {
    const s = stack([{ title: 'layer', image: grid(tiles.slice(0, 1)) }]);
    const images = s.figure!({ scale: 3 }).marks.filter((m) => m.kind === 'image');
    assert.deepEqual(
      images.map((m) => (m.kind === 'image' ? m.factor : 0)),
      [3],
    );
  });
});

describe('charts as vectors', () => {
  it('nice ticks: the round values inside the range (0…0.87 by 0.2; −3…12 by 5)', () => {
    assert.deepEqual(niceTicks(0, 0.87), [0, 0.2, 0.4, 0.6, 0.8]);
    assert.deepEqual(niceTicks(-3, 12), [0, 5, 10]);
    assert.deepEqual(niceTicks(-20, 20, 4), [-20, -10, 0, 10, 20]);
  });

  it('a bar chart is one rect per bar, its class names whole, dashed reference lines', () => {
    const groups = ['T-shirt/top', 'Trouser', 'Ankle boot'];
    const img = barChart({
      title: 'unit 3: mean activation per class',
      groups,
      series: [{ label: 'unit 3', values: [0.5, 2, -1] }],
      lines: [{ label: 'mean', value: 0.5 }],
    });
    const fig = img.figure!(PAPER);
    // Rectangles in the series' colour: three bars and the legend swatch (grid lines are grey hairlines).
    const bars = fig.marks.filter((m) => m.kind === 'rect' && m.fill.join() === '31,119,180');
    assert.equal(bars.length, 3 + 1, 'three bars and the legend swatch');
    // Grid lines come before the bars (drawn under them in the PNG too).
    const firstBar = fig.marks.indexOf(bars[0]);
    const grey = fig.marks.findIndex((m) => m.kind === 'rect' && m.fill.join() === '225,225,225');
    assert.ok(grey >= 0 && grey < firstBar);
    const names = texts(fig.marks).map((m) => m.text);
    for (const g of groups) assert.ok(names.includes(g), `${g} in ${names}`);
    const svg = figureSvg(fig, () => '');
    assert.match(svg, /<polyline [^>]*stroke-dasharray="5"/);
    assert.match(svg, />Ankle boot<\/text>/);
    // The raster (the browser's) is the same layout's size.
    assert.deepEqual([img.width, img.height], [Math.ceil(fig.width), Math.ceil(fig.height)]);
    assert.equal(rasterize(fig).width, img.width);
  });
});
