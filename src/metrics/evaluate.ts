/**
 * Methods × metrics: every requested attribution method is run on the inputs (for each input's
 * target unit, fixed once from the unchanged model) and scored by every requested metric; the
 * table holds each metric's mean and 95% interval over the inputs, the best method per metric
 * marked, plus the mean deletion/insertion curves and MPRT ρ per layer behind the plots. Inputs go
 * through in groups (`group` images), so memory is one group's maps plus one metric chunk.
 */
import * as tf from '@tensorflow/tfjs';
import { attribute } from '../attribution/attribute.js';
import { attributionMethod } from '../attribution/registry.js';
import { DeepvisError } from '../errors.js';
import { checkOptions } from '../options.js';
import type { VisModel } from '../model/types.js';
import { resolveTarget, type ResolvedTarget, type TargetReading } from '../objectives/target.js';
import { causalFidelity } from './causal.js';
import { complexityMetric } from './complexity.js';
import { faithfulnessCorrelation, pixelFlipping } from './faithfulness.js';
import { localLipschitz } from './lipschitz.js';
import { localisation } from './localisation.js';
import { efficientMprt, randomLogit, smoothMprt } from './sanity.js';
import type { Explainer, MetricContext, MetricResult } from './metric_context.js';
import { muFidelity } from './mufidelity.js';
import { dataRandomization, mprt, type MprtResult } from './randomization.js';
import { road } from './road.js';
import { infidelity, maxSensitivity } from './robustness.js';
import { summarize, type Summary } from './stats.js';

export const METRICS = [
  'deletion',
  'insertion',
  'mufidelity',
  'road-morf',
  'road-lerf',
  'pixel-flipping',
  'faithfulness-correlation',
  'infidelity',
  'max-sensitivity',
  'local-lipschitz',
  'mprt',
  'mprt-independent',
  'smooth-mprt',
  'efficient-mprt',
  'random-logit',
  'sparseness',
  'complexity',
  'pointing-game',
  'relevance-mass',
  'relevance-rank',
] as const;
/** Data randomization runs when a second model (trained on shuffled labels) is given. */
export type MetricName = (typeof METRICS)[number] | 'data-randomization';
/** Metrics that score against labels. */
export const LABEL_METRICS: readonly MetricName[] = ['road-morf', 'road-lerf'];
/** Metrics that score against ground-truth masks (`masks`, the CLI's --masks). */
export const MASK_METRICS: readonly MetricName[] = [
  'pointing-game',
  'relevance-mass',
  'relevance-rank',
];
/** Quantus's category of each metric (the docs group the table by it). */
export const METRIC_CATEGORY: Readonly<
  Record<
    MetricName,
    'faithfulness' | 'robustness' | 'randomisation' | 'complexity' | 'localisation'
  >
> = {
  deletion: 'faithfulness',
  insertion: 'faithfulness',
  mufidelity: 'faithfulness',
  'road-morf': 'faithfulness',
  'road-lerf': 'faithfulness',
  'pixel-flipping': 'faithfulness',
  'faithfulness-correlation': 'faithfulness',
  infidelity: 'faithfulness',
  'max-sensitivity': 'robustness',
  'local-lipschitz': 'robustness',
  mprt: 'randomisation',
  'mprt-independent': 'randomisation',
  'smooth-mprt': 'randomisation',
  'efficient-mprt': 'randomisation',
  'random-logit': 'randomisation',
  'data-randomization': 'randomisation',
  sparseness: 'complexity',
  complexity: 'complexity',
  'pointing-game': 'localisation',
  'relevance-mass': 'localisation',
  'relevance-rank': 'localisation',
};

/** Sample counts a run may lower from Quantus's defaults (say so in the report): re-explaining metrics and pixel flipping on large inputs. */
export interface MetricSettings {
  /** Re-explanations of local-lipschitz (Quantus: 200) and smooth-mprt (Quantus: 50). */
  readonly samples?: number;
  /** Pixels per pixel-flipping step (Quantus: 1). */
  readonly flipStep?: number;
}

export interface EvaluateArgs {
  readonly methods: readonly string[];
  readonly metrics: readonly MetricName[];
  /** Labels per input (ROAD); also the target units when `units` is 'label'. */
  readonly labels?: readonly number[];
  /** The units explained: each input's predicted (top) unit, its label, or given (one for all or one per input). */
  readonly units?: 'predicted' | 'label' | readonly number[];
  /** The target layer (default the logits) and how it is read (objectives/target.ts: the one --target vocabulary). */
  readonly layer?: string;
  readonly reading?: TargetReading;
  /** Ground-truth masks [N·H·W] (1 inside) for the localisation metrics. */
  readonly masks?: Uint8Array;
  readonly settings?: MetricSettings;
  readonly maxBatch?: number;
  readonly seed?: number;
  /** Images per group (default 16). */
  readonly group?: number;
  readonly onProgress?: (what: string) => void;
  /** The same architecture trained on shuffled labels: adds the data-randomization metric. */
  readonly shuffled?: VisModel;
}

export interface Cell extends Summary {
  readonly best: boolean;
}

export interface EvaluationReport {
  readonly methods: string[];
  readonly metrics: MetricName[];
  readonly higherIsBetter: Record<string, boolean>;
  /** table[method][metric]. */
  readonly table: Record<string, Record<string, Cell>>;
  /** Per method and metric: every input's score. */
  readonly scores: Record<string, Record<string, number[]>>;
  /** Mean curves per method: deletion/insertion (x = fraction changed), ROAD, MPRT (x = layers). */
  readonly curves: Record<string, Record<string, { xs: number[]; mean: number[] }>>;
  readonly mprtLayers: string[] | null;
  readonly params: Record<string, unknown>;
  /** Seconds per method and metric, summed over groups (the maps' own time under 'attribution'). */
  readonly seconds: Record<string, Record<string, number>>;
  readonly units: number[];
}

export function explainerFor(
  method: string,
  args: Pick<EvaluateArgs, 'maxBatch' | 'seed'>,
): Explainer {
  return (model, x, t) => {
    const a = attribute(model, x, {
      method,
      layer: t.layer.name,
      units: t.units,
      neuron: t.neurons?.[0],
      reading: t.reading,
      maxBatch: args.maxBatch,
      seed: args.seed,
    });
    return { values: a.values, heat: a.heat };
  };
}

function runMetric(
  name: MetricName,
  ctx: MetricContext,
  explain: Explainer,
  method: string,
  shuffled?: VisModel,
  settings: MetricSettings = {},
): MetricResult {
  switch (name) {
    case 'data-randomization':
      if (!shuffled)
        throw new DeepvisError(
          'data randomization needs a second model trained on shuffled labels',
        );
      return dataRandomization(ctx.model, shuffled, ctx.x, ctx.t, explain);
    case 'deletion':
      return causalFidelity(ctx, 'deletion');
    case 'insertion':
      return causalFidelity(ctx, 'insertion');
    case 'mufidelity':
      return muFidelity(ctx);
    case 'road-morf':
      return road(ctx, 'morf');
    case 'road-lerf':
      return road(ctx, 'lerf');
    case 'infidelity': {
      // A map that is a gradient times (x − b) (Gradient × Input, integrated gradients): infidelity divides the input out.
      const m = attributionMethod(method);
      const multipliedBy = m.timesInput?.(ctx.model, checkOptions(m.options, {}));
      return infidelity(ctx, { multipliedBy });
    }
    case 'max-sensitivity':
      return maxSensitivity(ctx, explain);
    case 'mprt':
      return mprt(ctx.model, ctx.x, ctx.t, explain, { seed: ctx.seed });
    case 'mprt-independent':
      return mprt(ctx.model, ctx.x, ctx.t, explain, { seed: ctx.seed, order: 'independent' });
    case 'pixel-flipping':
      return pixelFlipping(ctx, { step: settings.flipStep });
    case 'faithfulness-correlation':
      return faithfulnessCorrelation(ctx);
    case 'local-lipschitz':
      return localLipschitz(ctx, explain, { samples: settings.samples });
    case 'smooth-mprt':
      return smoothMprt(ctx, explain, { samples: settings.samples });
    case 'efficient-mprt':
      return efficientMprt(ctx, explain);
    case 'random-logit':
      return randomLogit(ctx, explain);
    case 'sparseness':
    case 'complexity':
      return complexityMetric(ctx, name);
    case 'pointing-game':
    case 'relevance-mass':
    case 'relevance-rank':
      return localisation(ctx, name);
  }
}

export function evaluateAttributions(
  model: VisModel,
  x: tf.Tensor4D,
  args: EvaluateArgs,
): EvaluationReport {
  const n = x.shape[0];
  if (n === 0) throw new DeepvisError('no inputs to evaluate');
  if (args.metrics.some((m) => LABEL_METRICS.includes(m)) && !args.labels) {
    throw new DeepvisError(
      `${args.metrics.filter((m) => LABEL_METRICS.includes(m)).join(', ')} score accuracy against labels; these inputs have none`,
    );
  }
  if (args.units === 'label' && !args.labels)
    throw new DeepvisError('--units label needs labelled inputs');
  if (args.metrics.some((m) => MASK_METRICS.includes(m))) {
    const [, h, w] = x.shape;
    if (!args.masks)
      throw new DeepvisError(
        `${args.metrics.filter((m) => MASK_METRICS.includes(m)).join(', ')} score maps against ground-truth masks; give --masks DIR`,
      );
    if (args.masks.length !== n * h * w)
      throw new DeepvisError(
        `the masks hold ${args.masks.length} pixels; ${n} inputs of ${h}×${w} need ${n * h * w}`,
      );
  }
  const group = args.group ?? 16;
  const scores: Record<string, Record<string, number[]>> = {};
  const curveSums: Record<
    string,
    Record<string, { xs: number[]; sum: number[]; count: number }>
  > = {};
  const seconds: Record<string, Record<string, number>> = {};
  const params: Record<string, unknown> = {};
  const higherIsBetter: Record<string, boolean> = {};
  const units: number[] = [];
  let mprtLayers: string[] | null = null;
  for (let from = 0; from < n; from += group) {
    const to = Math.min(n, from + group);
    const xg = x.slice([from, 0, 0, 0], [to - from, -1, -1, -1]);
    try {
      const labels = args.labels?.slice(from, to);
      const given =
        typeof args.units === 'object'
          ? args.units.length > 1
            ? args.units.slice(from, to)
            : args.units
          : undefined;
      const t: ResolvedTarget = resolveTarget(model, xg, {
        layer: args.layer,
        units: args.units === 'label' ? labels : given,
        reading: args.reading,
      });
      const [, h, w] = xg.shape;
      const masks = args.masks?.subarray(from * h * w, to * h * w);
      units.push(...t.units);
      for (const method of args.methods) {
        const explain = explainerFor(method, args);
        args.onProgress?.(`${method}: inputs ${from + 1}–${to} of ${n}`);
        const started = performance.now();
        const maps = explain(model, xg, t);
        (seconds[method] ??= {}).attribution =
          (seconds[method].attribution ?? 0) + (performance.now() - started) / 1000;
        const ctx: MetricContext = {
          model,
          x: xg,
          t,
          maps,
          labels,
          masks,
          maxBatch: args.maxBatch,
          seed: args.seed,
        };
        for (const metric of args.metrics) {
          const r = runMetric(metric, ctx, explain, method, args.shuffled, args.settings);
          ((scores[method] ??= {})[metric] ??= []).push(...r.scores);
          seconds[method][metric] = (seconds[method][metric] ?? 0) + r.seconds;
          params[metric] = r.params;
          higherIsBetter[metric] = r.higherIsBetter;
          const isMprt = metric === 'mprt' || metric === 'mprt-independent';
          const curves = isMprt ? (r as MprtResult).rho : r.curves;
          if (isMprt) mprtLayers = (r as MprtResult).layers;
          if (!curves) continue;
          // MPRT's curve is [layer][input]; the others' [input][point].
          const perInput = isMprt
            ? curves[0].map((_, i) => curves.map((layer) => layer[i]))
            : curves;
          const xs = isMprt ? curves.map((_, k) => k) : r.xs!;
          const acc = ((curveSums[method] ??= {})[metric] ??= {
            xs,
            sum: Array(xs.length).fill(0),
            count: 0,
          });
          for (const c of perInput) {
            c.forEach((v, k) => (acc.sum[k] += v));
            acc.count++;
          }
        }
      }
    } finally {
      xg.dispose();
    }
  }
  const table: Record<string, Record<string, Cell>> = {};
  for (const metric of args.metrics) {
    const sums = args.methods.map((m) => summarize(scores[m][metric]));
    const means = sums.map((s) => s.mean).filter(Number.isFinite);
    const best = higherIsBetter[metric] ? Math.max(...means) : Math.min(...means);
    args.methods.forEach(
      (m, i) => ((table[m] ??= {})[metric] = { ...sums[i], best: sums[i].mean === best }),
    );
  }
  const curves: EvaluationReport['curves'] = {};
  for (const [m, byMetric] of Object.entries(curveSums)) {
    curves[m] = {};
    for (const [metric, acc] of Object.entries(byMetric))
      curves[m][metric] = { xs: acc.xs, mean: acc.sum.map((s) => s / acc.count) };
  }
  params.attribution = {
    units: args.units ?? 'predicted',
    layer: args.layer ?? model.logitsLayer,
    reading: args.reading?.kind ?? 'unit',
    settings: args.settings ?? {},
    signedHeat: args.methods.filter((m) => attributionMethod(m).signed),
    camMethods: args.methods.filter((m) => attributionMethod(m).layer?.kind === 'spatial'),
    maxBatch: args.maxBatch ?? 'auto (memory budget)',
    seed: args.seed ?? 0,
    group,
  };
  return {
    methods: [...args.methods],
    metrics: [...args.metrics],
    higherIsBetter,
    table,
    scores,
    curves,
    mprtLayers,
    params,
    seconds,
    units,
  };
}
