/**
 * The Gabor measure separates what Erhan et al. 2009 §6.1 calls Gabor-like first-layer filters from what it
 * does not: oriented Gabors of several angles, periods and envelopes pass, with their angle found;
 * white noise, a full-patch grating (oriented, not localized) and an isotropic blob (localized, not
 * oriented) fail.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterShape, gabor, gaborSummary } from './orientation.js';
import { Rng } from '../engine/rng.js';

describe('Gabor-likeness of filters', () => {
  it('passes Gabors and recovers their orientation within 3°', () => {
    for (const angleDeg of [0, 30, 60, 90, 135]) {
      for (const [period, sigma] of [
        [3, 1.5],
        [5, 2],
        [6, 3],
      ]) {
        const s = filterShape(
          gabor(12, 12, { angleDeg, period, sigma, phase: Math.PI / 2 }),
          12,
          12,
        );
        assert.ok(
          s.gaborLike,
          `angle ${angleDeg} period ${period} σ ${sigma}: ${JSON.stringify(s)}`,
        );
        const err = Math.abs(((((s.angle - angleDeg + 90) % 180) + 180) % 180) - 90);
        assert.ok(err < 3, `angle ${angleDeg} found ${s.angle}`);
      }
    }
  });

  it('fails white noise, a grating across the patch and an isotropic blob', () => {
    const rng = new Rng(11);
    const noise = Array.from({ length: 100 }, () =>
      Float32Array.from({ length: 144 }, () => rng.normal()),
    );
    const summary = gaborSummary(noise, 12, 12);
    assert.equal(summary.gaborFraction, 0);
    assert.ok(
      summary.orientedFraction < 0.05 && summary.localizedFraction < 0.05,
      JSON.stringify({ o: summary.orientedFraction, l: summary.localizedFraction }),
    );
    const grating = filterShape(gabor(12, 12, { angleDeg: 45, period: 4, sigma: 1e6 }), 12, 12);
    assert.ok(
      grating.orientation > 0.6 && grating.localization < 0.6 && !grating.gaborLike,
      JSON.stringify(grating),
    );
    const blob = Float32Array.from({ length: 144 }, (_, i) =>
      Math.exp(-(((i % 12) - 5.5) ** 2 + (Math.floor(i / 12) - 5.5) ** 2) / 8),
    );
    const b = filterShape(blob, 12, 12);
    assert.ok(b.localization > 0.6 && b.orientation < 0.6 && !b.gaborLike, JSON.stringify(b));
  });

  it('mixes: the fraction counts filters, and thresholds can be changed', () => {
    const rng = new Rng(2);
    const filters = [
      gabor(8, 8, { angleDeg: 20, period: 4, sigma: 1.5 }),
      Float32Array.from({ length: 64 }, () => rng.normal()),
    ];
    assert.equal(gaborSummary(filters, 8, 8).gaborFraction, 0.5);
    assert.equal(gaborSummary(filters, 8, 8, { orientation: 0.999 }).gaborFraction, 0);
    assert.throws(() => filterShape(new Float32Array(10), 3, 3), /10 values, not 3×3/);
  });
});
