/**
 * Feature ablation (Captum's FeatureAblation; Zeiler & Fergus 2014's occlusion over features
 * rather than squares): each interpretable feature — a superpixel, a grid cell, or a region of the
 * caller's mask — is set to the model's neutral value on its own, and its pixels get the drop of the
 * score, f(x) − f(x without the feature). One forward pass per feature, batched.
 */
import { coalitionScores, featuresOf, perImage, spread } from './black_box.js';
import { defineAttribution } from './method.js';
import { FEATURE_OPTIONS } from './segments.js';

export const ablationMethod = defineAttribution({
  name: 'ablation',
  idea: 'Each feature (a grid cell, a segment or a region of a user mask) is replaced by the baseline in turn, and its attribution is how much the target score drops. It is exact for what it asks and needs one forward pass per feature.',
  title: 'feature ablation',
  short: 'ablation',
  paper: 'Zeiler & Fergus 2014; Captum FeatureAblation',
  summary: "each feature's drop of the score when it alone is set to the neutral value",
  signed: true,
  display: 'heat',
  access: 'forward',
  options: FEATURE_OPTIONS,
  explain: (ctx) =>
    perImage(ctx, (job) => {
      const seg = featuresOf(ctx, ctx.options, job);
      const m = seg.count;
      // Row 0: the image; row j + 1: the image without feature j.
      const z = new Uint8Array((m + 1) * m).fill(1);
      for (let j = 0; j < m; j++) z[(j + 1) * m + j] = 0;
      const f = coalitionScores(job, seg, z, m + 1);
      return spread(
        seg,
        Float64Array.from({ length: m }, (_, j) => f[0] - f[j + 1]),
      );
    }),
});
