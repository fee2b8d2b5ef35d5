/**
 * The unit panel's contrast boost: the same pictures with their outliers clipped harder (signed
 * maps scaled by the 95th instead of the 99.5th |value| percentile) and data pictures stretched
 * to their own min…max instead of the model's range, so faint structure becomes visible.
 */
import type { render } from '../../../src/index.js';

type Normalize = render.Normalize;

export const signedNorm = (boost: boolean): Normalize => ({
  mode: 'symmetric',
  percentile: boost ? 95 : 99.5,
});
export const pictureNorm = (boost: boolean, range: readonly [number, number]): Normalize =>
  boost ? { mode: 'minmax' } : { mode: 'range', range };
export const heatPercentile = (boost: boolean) => (boost ? 90 : 99.5);
