/**
 * The diverse set's retries (issue 30): a unit with an image at or below zero is run again with
 * the next attempt (lower diversity weight, more steps), and its images replaced only when more of them are positive (or as
 * many, with a higher minimum). A fake run with activations by hand stands in for Lucid.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DIVERSE_ATTEMPTS,
  retryDiverse,
  visParams,
  type DiverseAttempt,
  type GroupRun,
} from './vis.js';

/** Copy-major activations per attempt, keyed by the units asked for; image values = 10·attempt + item. */
function fakeRun(byAttempt: Record<number, Record<number, number[]>>) {
  const calls: Array<[number, number[], DiverseAttempt]> = [];
  const run = (units: readonly number[], attempt: DiverseAttempt, k: number): GroupRun => {
    calls.push([k, [...units], attempt]);
    const acts = byAttempt[k];
    const copies = acts[units[0]].length;
    const list = Array.from({ length: copies }, (_, c) =>
      units.map((unit) => ({ unit, activation: acts[unit][c], steps: 5 })),
    ).flat();
    return {
      values: Float32Array.from(list, (_, i) => 10 * (k + 1) + i),
      units: list,
      objective: 'lucid',
      params: { diversityWeight: attempt.diversity },
      seconds: 1,
    };
  };
  return { run, calls };
}

describe('the diverse set', () => {
  it('retries the units with a non-positive image at lower weights and more steps, keeping the better set', () => {
    assert.deepEqual(DIVERSE_ATTEMPTS, [
      { diversity: 1, steps: 1 },
      { diversity: 0.25, steps: 2 },
      { diversity: 0, steps: 4 },
    ]);
    const { run, calls } = fakeRun({
      0: { 5: [2, 3], 7: [-1, 0.5], 9: [-0.5, -0.5] },
      // 7: as many positive, higher minimum → taken; 9: worse → kept.
      1: { 7: [-0.2, 0.4], 9: [-0.7, -0.9] },
      // 7: both positive → taken; 9: one positive → taken.
      2: { 7: [0.3, 0.6], 9: [-0.1, 0.2] },
    });
    const r = retryDiverse([5, 7, 9], 2, 1, run);
    assert.deepEqual(calls, [
      [0, [5, 7, 9], DIVERSE_ATTEMPTS[0]],
      [1, [7, 9], DIVERSE_ATTEMPTS[1]],
      [2, [7, 9], DIVERSE_ATTEMPTS[2]],
    ]);
    // Items copy-major: [5c0, 7c0, 9c0, 5c1, 7c1, 9c1].
    assert.deepEqual(
      r.units.map((u) => [u.unit, u.activation, u.diversity]),
      [
        [5, 2, 1],
        [7, 0.3, 0],
        [9, -0.1, 0],
        [5, 3, 1],
        [7, 0.6, 0],
        [9, 0.2, 0],
      ],
    );
    // Attempt 2 made [7c0, 9c0, 7c1, 9c1] = 30, 31, 32, 33.
    assert.deepEqual([...r.values], [10, 30, 31, 13, 32, 33]);
    assert.equal(r.seconds, 3);
    assert.deepEqual(r.params.attempts, DIVERSE_ATTEMPTS);
  });

  it('stops when every image is positive, and the attempts are part of the cache key', () => {
    const { run, calls } = fakeRun({ 0: { 1: [0.1, 0.2] } });
    const r = retryDiverse([1], 2, 1, run);
    assert.deepEqual(calls, [[0, [1], DIVERSE_ATTEMPTS[0]]]);
    assert.deepEqual(
      r.units.map((u) => u.diversity),
      [1, 1],
    );
    const group = { layer: 'conv', units: [1], seed: 3, ordinal: 0 };
    assert.deepEqual(
      visParams('diverse', { diverse: { steps: 9, perUnit: 2 } }, group).attempts,
      DIVERSE_ATTEMPTS,
    );
    assert.equal(visParams('lucid', { lucid: { steps: 9 } }, group).attempts, undefined);
  });
});
