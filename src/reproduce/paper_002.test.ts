/**
 * reproduce 002 at the quick size: every figure's PNG is written, every claim row carries the
 * numbers it was formatted from, and those numbers come from the run — two runs whose models
 * differ only by seed (different trained weights) give different numbers.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initEngine, type EngineInfo } from '../engine/backend.js';
import { PAPER_002 } from './paper_002.js';
import type { PaperResult } from './types.js';

let engine: EngineInfo;
let dir: string;
before(async () => {
  engine = await initEngine({ backend: 'wasm' });
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-002-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const runWith = async (seed: number): Promise<PaperResult> => {
  const out = path.join(dir, String(seed));
  const { mkdir } = await import('node:fs/promises');
  await mkdir(out, { recursive: true });
  return PAPER_002.run({ engine, dir: out, quick: true, seed, log: () => {} });
};

describe('reproduce 002 (quick)', () => {
  it('writes its figures and computes its claims from the run', async () => {
    const a = await runWith(1);
    assert.equal(a.paper, '002');
    for (const f of a.figures)
      assert.ok(existsSync(path.join(dir, '1', f.src)), `${f.figure}: ${f.src}`);
    assert.deepEqual(
      a.figures.slice(0, 5).map((f) => f.figure),
      [
        'fig. 1 (left)',
        'fig. 1 (right)',
        '§6.2 (sensitivity matrix)',
        'fig. 3 (left)',
        'fig. 4 (top)',
      ],
    );
    const measured = a.claims.filter((c) => c.verdict !== 'not applicable');
    assert.ok(measured.length >= 8);
    for (const c of measured) {
      assert.ok(c.values && Object.keys(c.values).length > 0, `${c.claim}: no values`);
      const nums = Object.values(c.values).flatMap((v) => (typeof v === 'number' ? [v] : [...v]));
      assert.ok(nums.some(Number.isFinite), `${c.claim}: ${JSON.stringify(c.values)}`);
      assert.ok(['reproduced', 'differs'].includes(c.verdict));
    }
    // Another seed trains other weights: the measured numbers move with the model.
    const b = await runWith(2);
    // This module's own rows (§6); the natural-image half is natural_patches.test.ts's to check.
    const flat = (r: PaperResult) =>
      r.claims
        .filter((c) => c.values && c.section.startsWith('§6'))
        .map((c) => JSON.stringify(c.values));
    const [fa, fb] = [flat(a), flat(b)];
    assert.equal(fa.length, fb.length);
    assert.ok(fa.length >= 8);
    const changed = fa.filter((v, i) => v !== fb[i]).length;
    assert.equal(
      changed,
      fa.length,
      `${fa.length - changed} claim rows did not change with the model`,
    );
  });
});
