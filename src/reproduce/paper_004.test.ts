/**
 * reproduce 004 at the quick size, on user-supplied models (two random-weight MNIST CNNs saved as
 * tfjs files, loaded the way `--model` loads them) and on the CNN it trains itself: figures are
 * written, measured claim rows carry their numbers, and a different model gives different numbers.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initEngine, type EngineInfo } from '../engine/backend.js';
import { saveLayersModel } from '../io/model_files.js';
import { buildClassifier } from '../train/architectures.js';
import { PAPER_004 } from './paper_004.js';
import type { PaperResult } from './types.js';

let engine: EngineInfo;
let dir: string;
before(async () => {
  engine = await initEngine({ backend: 'wasm' });
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-004-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function randomCnn(seed: number): Promise<string> {
  const m = buildClassifier('cnn', [28, 28, 1], 10, seed);
  const at = path.join(dir, `model-${seed}`);
  await saveLayersModel(m, at, {
    inputRange: [0, 1],
    channelOrder: 'gray',
    imageShape: [28, 28, 1],
    logitsLayer: 'logits',
  });
  m.dispose();
  return at;
}

async function runWith(name: string, model?: string): Promise<PaperResult> {
  const out = path.join(dir, name);
  await mkdir(out, { recursive: true });
  return PAPER_004.run({ engine, dir: out, quick: true, seed: 0, model, log: () => {} });
}

const measured = (r: PaperResult) => r.claims.filter((c) => c.verdict !== 'not applicable');

describe('reproduce 004 (quick)', () => {
  it('runs the recipes on a supplied model; another model gives other numbers', async () => {
    const a = await runWith('a', await randomCnn(1));
    assert.equal(a.paper, '004');
    assert.match(a.size[0], /supplied model model-1/);
    assert.deepEqual(
      a.figures.map((f) => f.figure),
      ['fig. 4 (toolbox rates)', 'fig. 4 (calibrated rate)', 'fig. 3'],
    );
    for (const f of a.figures) assert.ok(existsSync(path.join(dir, 'a', f.src)), f.src);
    const rows = measured(a);
    assert.ok(rows.length >= 6, `${rows.length} measured rows`);
    for (const c of rows) {
      const nums = Object.values(c.values ?? {}).flatMap((v) =>
        typeof v === 'number' ? [v] : [...v],
      );
      assert.ok(nums.some(Number.isFinite), `${c.claim}: ${JSON.stringify(c.values)}`);
    }
    const b = await runWith('b', await randomCnn(2));
    const [va, vb] = [measured(a), measured(b)].map((r) => r.map((c) => JSON.stringify(c.values)));
    assert.equal(va.length, vb.length);
    va.forEach((v, i) =>
      assert.notEqual(v, vb[i], `${rows[i].claim}: the same numbers for a different model`),
    );
  });

  it('trains its own MNIST CNN when no model is given', async () => {
    const r = await runWith('own');
    assert.match(r.size[0], /deepvis's MNIST CNN/);
    assert.ok(measured(r).length >= 5);
  });
});
