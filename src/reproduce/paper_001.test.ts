/**
 * `reproduce 001` quick: the training-history figure and the reconstructions are written, the
 * claims computed; another seed (another training run) moves the numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paper001 } from './paper_001.js';
import { convergedAt, pearson } from './paper_001_history.js';
import { claimValues, runQuick } from './paper_test_run.js';

describe('reproduce 001 (quick)', () => {
  it('convergence epoch: the first snapshot after which every correlation stays ≥ 0.8', () => {
    assert.equal(convergedAt([1, 2, 5, 8], [0.2, 0.9, 0.95, 1]), 2);
    assert.equal(convergedAt([1, 2, 5, 8], [0.9, 0.5, 0.95, 1]), 5);
    assert.equal(convergedAt([1, 2, 5, 8], [0.9, 0.9, 0.9, 1]), 1);
    assert.ok(
      Math.abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12 &&
        Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12,
    );
  });

  it("re-makes Zeiler & Fergus's fig. 3, the reconstructions and Gatys's style from its own run", async () => {
    const { result: a } = await runQuick(paper001, 0);
    assert.equal(a.figures.length, 2);
    const gram = a.claims.find((c) => c.claim.includes('style representation (Gram'))!.values as {
      gramStart: number[];
      gramEnd: number[];
    };
    gram.gramEnd.forEach((e, i) =>
      assert.ok(e < gram.gramStart[i], `Gram error ${gram.gramStart[i]} → ${e}`),
    );
    const { result: b } = await runQuick(paper001, 1);
    for (const s of ['§5, fig. 3', '§7, fig. 12'])
      assert.notEqual(
        claimValues(a, s).join(),
        claimValues(b, s).join(),
        `${s} did not move with the run`,
      );
  });
});
