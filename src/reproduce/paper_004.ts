/**
 * `deepvis reproduce 004`: Yosinski, Clune, Nguyen, Fuchs & Lipson 2015, "Understanding Neural
 * Networks Through Deep Visualization" (Yosinski et al. 2015), its regularized-optimization half. The paper's
 * CaffeNet cannot ship, so its recipes run on the model the user supplies (ctx.model) or on
 * deepvis's MNIST CNN (paper_004_subject.ts): fig. 4 (Table 1's four sets, each with the toolbox's own
 * iterations and learning-rate policy) next to plain gradient ascent, fig. 3 (each regularizer
 * swept alone), and claims measured with the quality scores (relative activation, plausibility)
 * and the images' high-frequency energy and sparsity. Every number comes from this run.
 */
import { DeepvisError } from '../errors.js';
import { meanQuality, imageQuality, type ImageQuality } from '../metrics/quality.js';
import { qualityReference } from '../metrics/quality_reference.js';
import {
  calibrated,
  rateCalibration,
  yosinski,
  YOSINSKI_DEFAULT_SET,
  YOSINSKI_PRESETS,
  type YosinskiSet,
} from '../methods/yosinski.js';
import { unitObjectiveOf } from '../methods/recipe.js';
import type { VisModel } from '../model/types.js';
import { grid } from '../render/grid.js';
import { toImage } from '../render/image.js';
import { highFrequency, savePng, sparsity, subjectOf, type Subject } from './paper_004_subject.js';
import {
  withinVerdict,
  type Claim,
  type Paper,
  type PaperFigure,
  type ReproduceContext,
} from './types.js';

interface Plan {
  train: number;
  test: number;
  epochs: number;
  units: number;
  steps?: number;
  sweepSteps: number;
}
const plan = (quick: boolean): Plan =>
  quick
    ? { train: 300, test: 100, epochs: 1, units: 2, steps: 6, sweepSteps: 4 }
    : { train: 8000, test: 2000, epochs: 2, units: 10, sweepSteps: 300 };

/** Plain gradient ascent: set 3's schedule (constant lr 100, 1000 steps) with every regularizer off. */
const UNREGULARIZED: YosinskiSet = {
  ...YOSINSKI_PRESETS[YOSINSKI_DEFAULT_SET],
  decay: 0,
  blurRadius: 0,
  blurEvery: 0,
  normPct: 0,
  contributionPct: 0,
};

/** Fig. 3: each regularizer alone, from none (left) to strong (right). */
const SWEEPS: ReadonlyArray<{
  name: string;
  values: number[];
  set: (v: number) => Partial<YosinskiSet>;
}> = [
  { name: 'L2 decay', values: [0, 0.001, 0.01, 0.1, 0.3], set: (v) => ({ decay: v }) },
  {
    name: 'blur radius',
    values: [0, 0.3, 0.5, 1, 2],
    set: (v) => ({ blurRadius: v, blurEvery: v > 0 ? 4 : 0 }),
  },
  { name: 'norm pct', values: [0, 20, 50, 80, 95], set: (v) => ({ normPct: v }) },
  { name: 'contrib pct', values: [0, 50, 80, 90, 99], set: (v) => ({ contributionPct: v }) },
];

interface Scored {
  name: string;
  images: Float32Array;
  quality: ImageQuality[] | null;
  hf: number[];
  sparse: number[];
  seconds: number;
  lrScale: number;
}

/**
 * yosinski() at the set's own rate; a set whose steps jump past half the input range (the toolbox
 * does not clamp pixels; we do) is rerun at 1/10 of it, down to 1/1000, and the page says so.
 */
function runSet(
  model: VisModel,
  layer: string,
  units: number[],
  sets: YosinskiSet[],
  steps: number | undefined,
  seed: number,
) {
  for (let lrScale = 1; ; lrScale /= 10) {
    let diverged: string | null = null;
    const r = yosinski(model, {
      layer,
      units,
      sets,
      steps,
      seed,
      lr: lrScale,
      rates: 'toolbox',
      onStep: (i) => void (i.stopped && (diverged = i.stopped.reason)),
    });
    if (!diverged) return { r, lrScale };
    r.images.dispose();
    if (lrScale < 1e-3) throw new DeepvisError(diverged);
  }
}

function score(
  model: VisModel,
  s: Subject,
  ref: ReturnType<typeof qualityReference> | null,
  name: string,
  sets: YosinskiSet[],
  steps: number | undefined,
  seed: number,
): Scored {
  const { r, lrScale } = runSet(model, s.layer, s.units, sets, steps, seed);
  try {
    return {
      name,
      lrScale,
      images: r.images.dataSync() as Float32Array,
      seconds: r.seconds,
      quality: ref
        ? imageQuality(
            model,
            r.images,
            r.units.map((u) => u.unit),
            ref,
          )
        : null,
      hf: highFrequency(model, r.images),
      sparse: sparsity(model, r.images),
    };
  } finally {
    r.images.dispose();
  }
}

const avg = (xs: readonly number[]) =>
  xs.filter(Number.isFinite).reduce((a, b, _, all) => a + b / all.length, 0);
const f2 = (x: number | null | undefined) =>
  x != null && Number.isFinite(x) ? x.toFixed(2) : 'n/a';
const setName = (k: number) => `set ${k + 1}`;
const rowName = (r: Scored) => (r.lrScale !== 1 ? `${r.name} (${r.lrScale}x lr)` : r.name);

async function run(ctx: ReproduceContext) {
  const t0 = performance.now();
  const p = plan(ctx.quick);
  const s = await subjectOf(ctx, p);
  const figures: PaperFigure[] = [];
  const claims: Claim[] = [];
  try {
    const { model } = s;
    const [h, w, c] = model.input.shape;
    const ref = s.data
      ? qualityReference(model, s.data, s.layer, s.units, { seed: ctx.seed })
      : null;
    const literal: Scored[] = [];
    ctx.log(`004: plain gradient ascent on ${s.layer} units ${s.units.join(',')}`);
    literal.push(score(model, s, ref, 'plain', [UNREGULARIZED], p.steps, ctx.seed));
    for (const [k, set] of YOSINSKI_PRESETS.entries()) {
      ctx.log(`004: Table 1 ${setName(k)} (${p.steps ?? set.steps} steps, ${set.lr.policy})`);
      literal.push(score(model, s, ref, setName(k), [set], p.steps, ctx.seed));
    }
    // The same at the library's calibrated rate (yosinski.ts: the one calibration, what `maximize --method yosinski` runs).
    const k = rateCalibration(
      model,
      unitObjectiveOf(model, { layer: s.layer, units: s.units }),
      s.units.length,
      ctx.seed,
    );
    const tag = `×${k.toPrecision(2)}`;
    ctx.log(`004: calibrated rate ${tag}`);
    const rows: Scored[] = [
      score(model, s, ref, `plain ${tag}`, [calibrated(UNREGULARIZED, k)], p.steps, ctx.seed),
    ];
    for (const [j, set] of YOSINSKI_PRESETS.entries())
      rows.push(
        score(model, s, ref, `${setName(j)} ${tag}`, [calibrated(set, k)], p.steps, ctx.seed),
      );
    const label = (r: Scored, i: number) => {
      const q = r.quality?.[i];
      return `${s.units[i]}${q ? ` r${f2(q.relativeActivation)} p${f2(q.plausibility)}` : ''}`;
    };
    const size = h * w * c;
    const tile = (v: Float32Array, i: number) =>
      toImage(v.subarray(i * size, (i + 1) * size), [h, w, c]);
    const fig4 = (rs: Scored[], title: string) =>
      grid(
        rs.flatMap((r) => s.units.map((_, i) => tile(r.images, i))),
        {
          cols: s.units.length,
          labels: rs.flatMap((r) => s.units.map((_, i) => label(r, i))),
          rowLabels: rs.map(rowName),
          minTile: ref ? 112 : 84,
          title,
        },
      );
    const caption =
      'Visualizations of the preferred inputs for different class units on layer fc8 (gorilla), one per hyperparameter set of Table 1. Some show high frequency and some low frequency patterns; some dense pixel data and some sparse outlines. The lower-left set was found to be the best.';
    const legend = `Each tile min–max scaled; r = activation over the best test digit's, p = plausibility (≈1 natural, ≫1 not)${p.steps ? `; quick run: ${p.steps} steps each` : ''}.`;
    const times = (rs: Scored[]) =>
      Object.fromEntries(
        rs.map((r) => [
          r.name,
          `${r.seconds.toFixed(1)} s${r.lrScale !== 1 ? `, at ${r.lrScale}× (diverged at 1×)` : ''}`,
        ]),
      );
    figures.push({
      figure: 'fig. 4 (toolbox rates)',
      paperCaption: caption,
      ours: `${s.what}: units ${s.units.join(', ')} of ${s.layer}; top row plain gradient ascent (set 3's schedule, no regularizer), then Table 1's sets 1–4 exactly as the toolbox runs them (iterations, learning-rate policy, its 0–255-pixel rates scaled to this range). ${legend}`,
      src: await savePng(
        ctx,
        'fig4-toolbox.png',
        fig4(literal, `${s.layer}: Table 1 at the toolbox's rates`),
      ),
      numbers: times(literal),
    });
    figures.push({
      figure: 'fig. 4 (calibrated rate)',
      paperCaption: caption,
      ours: `The same at the library's calibrated rate (what maximize --method yosinski runs): the pixel-unit rates ${tag}, the factor at which the toolbox's constant lr 100 moves the start image by 1% of the range (RMS, median over these units), and a progress set's step never larger than that constant one's. ${legend}`,
      src: await savePng(
        ctx,
        'fig4.png',
        fig4(rows, `${s.layer}: Table 1 at ${tag} the toolbox's pixel rates`),
      ),
      numbers: times(rows),
    });
    const lit = (r: Scored) => (r.quality ? meanQuality(r.quality).relativeActivation : null);
    claims.push({
      section: 'Table 1 (toolbox)',
      claim:
        "The toolbox's constant rate (lr 100 on 0–255 pixels) drives set 3's optimization to a strong activation",
      paper: 'set 3 at lr 100 for 1,000 steps: the toolbox example reaches fc8 71',
      ours: `set 3 at the toolbox's rate: relative activation ${f2(lit(literal[3]))}; at ${tag}: ${f2(lit(rows[3]))}`,
      verdict: ref ? withinVerdict(lit(literal[3]) ?? NaN, 0.5, Infinity) : 'not applicable',
      why: `reproduced if set 3 at the toolbox's own rate reaches half the best test digit's activation; the rate is CaffeNet's — on this model the calibrated factor is ${tag}`,
      values: {
        calibration: k,
        literalRelative: literal.map((r) => lit(r) ?? NaN),
        calibratedRelative: rows.map((r) => lit(r) ?? NaN),
      },
    });

    // Fig. 3: one unit, each regularizer alone, the strongest on the right.
    const unit = [s.units[0]];
    const sweep = SWEEPS.map((row) =>
      row.values.map((v) => {
        const set = { ...calibrated(UNREGULARIZED, k), ...row.set(v) };
        const { r } = runSet(model, s.layer, unit, [set], p.sweepSteps, ctx.seed);
        const img = r.images.dataSync() as Float32Array;
        const rel = ref ? imageQuality(model, r.images, unit, ref)[0].relativeActivation : null;
        r.images.dispose();
        return { v, img, act: r.units[0].activation, rel };
      }),
    );
    figures.push({
      figure: 'fig. 3',
      paperCaption:
        'The effects of each regularization method when used individually. Each row is a linear sweep in hyperparameter space from no regularization (left) to strong regularization (right). When applied too strongly, some regularizations cause the optimization to fail (e.g. L2 decay) or the images to be less interpretable.',
      ours: `Unit ${unit[0]} of ${s.layer}, ${p.sweepSteps} steps at set 3's constant rate ${tag} with one regularizer at a time; labels: the value, then the activation reached.`,
      src: await savePng(
        ctx,
        'fig3.png',
        grid(
          sweep.flatMap((row) => row.map((x) => tile(x.img, 0))),
          {
            cols: SWEEPS[0].values.length,
            rowLabels: SWEEPS.map((r) => r.name),
            labels: sweep.flatMap((row) => row.map((x) => `${x.v} a${x.act.toPrecision(3)}`)),
            minTile: 84,
          },
        ),
      ),
    });

    claims.push(
      ...qualityClaims(rows, ref != null).map((c) => ({
        ...c,
        why: `${c.why}; the sets at the calibrated rate ${tag} (fig. 4, calibrated)`,
      })),
    );
    const decay = sweep[0];
    const fall = decay[decay.length - 1].act / decay[0].act;
    claims.push({
      section: 'fig. 3',
      claim: 'L2 decay applied too strongly makes the optimization fail',
      paper: 'the strongest decay fails (top row)',
      ours: `activation at decay ${decay[decay.length - 1].v} is ${f2(fall)}× that without decay (${decay.map((x) => x.act.toPrecision(3)).join(' → ')})`,
      verdict: decay[0].act > 0 && fall < 0.5 ? 'reproduced' : 'differs',
      why: 'reproduced if the strongest decay reaches under half the unregularized activation',
      values: { activations: decay.map((x) => x.act), ratio: fall },
    });
    claims.push({
      section: '§2 (live activations), figs. 1–2',
      claim: 'conv5 channels respond locally to faces, text, flowers in live webcam video',
      paper: 'qualitative, on ImageNet/webcam',
      ours: 'not run',
      verdict: 'not applicable',
      why: 'needs an ImageNet model and a camera; deepvis serve shows live activations of any model',
    });
    const sizeLines = [
      `${s.what}, not CaffeNet on ImageNet${ctx.model ? '' : ' (give --model for a model of your own)'}`,
      `${s.units.length} units of ${s.layer}; quality scores against ${s.data ? `${s.data.count.toLocaleString('en')} test digits` : 'no data set (the model is not MNIST-shaped)'}`,
      p.steps
        ? `quick: ${p.steps} steps per set, ${p.sweepSteps} per sweep image`
        : `each set its own 500/750/1000/1000 iterations; sweeps ${p.sweepSteps} steps`,
    ];
    return {
      paper: '004' as const,
      title: PAPER_004.title,
      size: sizeLines,
      figures,
      claims,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    s.dispose();
  }
}

function qualityClaims(rows: Scored[], scored: boolean): Claim[] {
  const [plain, ...sets] = rows;
  const q = (r: Scored) => (r.quality ? meanQuality(r.quality) : null);
  const out: Claim[] = [];
  const best = sets[YOSINSKI_DEFAULT_SET];
  if (scored) {
    const [pq, bq] = [q(plain)!, q(best)!];
    out.push({
      section: '§3',
      claim:
        'Regularization produces more recognizable (interpretable) images than plain gradient ascent',
      paper: 'regularized images recognizable; unregularized ones not',
      ours: `plausibility: plain ${f2(pq.plausibility)}, set 3 ${f2(bq.plausibility)} (sets 1–4: ${sets.map((r) => f2(q(r)!.plausibility)).join(', ')}); relative activation: plain ${f2(pq.relativeActivation)}, set 3 ${f2(bq.relativeActivation)}`,
      verdict:
        bq.plausibility != null && pq.plausibility != null && bq.plausibility < pq.plausibility
          ? 'reproduced'
          : 'differs',
      why: "mean plausibility over the units (distance of the image's features to the unit's nearest top digits, over the typical distance); reproduced if set 3's is lower than plain ascent's",
      values: {
        plainPlausibility: pq.plausibility ?? NaN,
        plausibility: sets.map((r) => q(r)!.plausibility ?? NaN),
        plainRelative: pq.relativeActivation ?? NaN,
        relative: sets.map((r) => q(r)!.relativeActivation ?? NaN),
      },
    });
    const pl = sets.map((r) => q(r)!.plausibility ?? Infinity);
    const winner = pl.indexOf(Math.min(...pl));
    out.push({
      section: '§3, fig. 4',
      claim: "The lower-left set (Table 1's third) is the best single set",
      paper: 'set 3 best (by eye)',
      ours: `most plausible: ${setName(winner)} (${pl.map(f2).join(', ')})`,
      verdict: winner === YOSINSKI_DEFAULT_SET ? 'reproduced' : 'differs',
      why: 'reproduced if set 3 has the lowest mean plausibility of the four',
      values: { plausibility: pl, best: winner + 1 },
    });
  } else {
    out.push({
      section: '§3',
      claim: 'Regularization produces more recognizable images than plain gradient ascent',
      paper: 'recognizable',
      ours: 'not scored',
      verdict: 'not applicable',
      why: "quality scores need natural examples of the model's input (an MNIST-shaped model here)",
    });
  }
  const hf = rows.map((r) => avg(r.hf));
  out.push({
    section: '§3 (why high frequencies)',
    claim:
      'Unregularized gradient ascent yields images dominated by high frequencies; blurring removes them',
    paper: 'high-frequency patterns without regularization',
    ours: `share of variance above a σ = 1 blur: plain ${f2(hf[0])}, sets 1–4 ${hf.slice(1).map(f2).join(', ')}`,
    verdict: hf[0] > hf[1 + YOSINSKI_DEFAULT_SET] ? 'reproduced' : 'differs',
    why: "mean over units; reproduced if plain ascent's share exceeds set 3's",
    values: { highFrequency: hf },
  });
  const sp = rows.slice(1).map((r) => avg(r.sparse));
  const hs = hf.slice(1);
  const spread = (v: number[]) => Math.max(...v) - Math.min(...v);
  out.push({
    section: '§3, fig. 4',
    claim:
      'The four sets complement each other: some high and some low frequency, some dense and some sparse',
    paper: 'four distinct styles',
    ours: `sparsity (pixels at the background) ${sp.map(f2).join(', ')}; high-frequency share ${hs.map(f2).join(', ')}`,
    verdict: spread(sp) >= 0.2 && spread(hs) >= 0.05 ? 'reproduced' : 'differs',
    why: 'reproduced if the sets span at least 0.2 in sparsity and 0.05 in high-frequency share',
    values: { sparsity: sp, highFrequency: hs },
  });
  return out;
}

export const PAPER_004: Paper = {
  id: '004',
  title: 'Understanding Neural Networks Through Deep Visualization (Yosinski et al. 2015)',
  run,
};
