/**
 * `reproduce 000` quick: every figure written, every claim computed. The claim rows come from the
 * run: another seed trains other models and the numbers move; fig. 2's plotted non-specific
 * fractions are exactly 1 − the claim's specific fractions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paper000 } from './paper_000.js';
import { claimValues, runQuick } from './paper_test_run.js';

describe('reproduce 000 (quick)', () => {
  it('re-makes figs. 2, 4, 5, 6 and the §3–4 claims from its own run', async () => {
    const { result: a } = await runQuick(paper000, 0);
    assert.deepEqual(
      a.figures.map((f) => f.figure),
      ['fig. 2', 'fig. 4', 'fig. 5', 'fig. 6 (A: SAE)', 'fig. 6 (B: DRBM)'],
    );
    assert.deepEqual(
      a.claims.map((c) => c.section),
      ['fig. 2', '§3, fig. 4', '§3, fig. 5', '§4'],
    );
    const fig2 = a.claims[0].values as { greedyLayers: number[]; backpropLayers: number[] };
    const plotted = a.figures[0].numbers!;
    ['V1', 'V2', 'V4', 'IT'].forEach((t, i) => {
      assert.equal(plotted[`greedy ${t}`], `${(100 * (1 - fig2.greedyLayers[i])).toFixed(1)}%`);
      assert.equal(plotted[`backprop ${t}`], `${(100 * (1 - fig2.backpropLayers[i])).toFixed(1)}%`);
    });
    const speed = claimValues(a, '§4');
    assert.ok(speed.length > 0 && speed.every(Number.isFinite), `§4 values ${speed}`);
    const { result: b } = await runQuick(paper000, 1);
    const moved = ['fig. 2', '§3, fig. 5', '§4'].filter(
      (s) => claimValues(a, s).join() !== claimValues(b, s).join(),
    );
    assert.ok(
      moved.length >= 2,
      `other models, same numbers: only ${moved.join(', ') || 'none'} moved`,
    );
  });
});
