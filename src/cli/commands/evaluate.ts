/**
 * deepvis evaluate --model M (--data D --count N | --input IMG…) --methods all --metrics all --out DIR
 * Which attribution map to believe for this model: every method × every faithfulness/robustness/
 * randomization metric (src/metrics), as a table of means with 95% intervals (best per metric
 * marked), the deletion/insertion and MPRT curve plots, a JSON of every score and parameter, and an
 * HTML page of all three. Everything is checked before any work (methods that need a conv layer,
 * metrics that need labels, --count), and the files appear together or not at all.
 */
import * as tf from '@tensorflow/tfjs';
import { ATTRIBUTIONS, attributionMethod } from '../../attribution/registry.js';
import { fitFor } from './attribute.js';
import { checkMaxBatch } from '../../attribution/chunks.js';
import { DeepvisError } from '../../errors.js';
import {
  evaluateAttributions,
  LABEL_METRICS,
  MASK_METRICS,
  METRICS,
  type EvaluationReport,
  type MetricName,
} from '../../metrics/evaluate.js';
import { linePlot, sideBySide } from '../../render/curves.js';
import { parseIntList, usage, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, OUT_FLAGS, MODEL_FLAGS, modelFrom, openModelCommand } from '../command.js';
import { dataFrom, DATA_FLAGS, imagesFrom, inputFitJson } from '../inputs.js';
import { masksFrom, READING_FLAGS, readingFrom } from '../target.js';
import { targetLayer } from '../../objectives/target.js';

const SPECS = {
  ...MODEL_FLAGS,
  ...DATA_FLAGS,
  count: { type: 'int', help: 'how many images of --data (the first N)', default: 100 },
  input: {
    type: 'string',
    help: 'images instead of --data: files or DATASET:INDEX or DATASET:FROM-TO, comma-separated',
  },
  methods: {
    type: 'string',
    help: `attribution methods, comma-separated, or 'all' (${ATTRIBUTIONS.map((m) => m.name).join(', ')})`,
    default: 'all',
  },
  metrics: {
    type: 'string',
    help: `metrics, comma-separated, or 'all' (${METRICS.join(', ')})`,
    default: 'all',
  },
  layer: { type: 'string', help: 'target layer (default: the logits)' },
  units: {
    type: 'string',
    help: "unit (class) explained: each input's predicted one, its label, or N / N,N,… (one for all, or one per input)",
    default: 'predicted',
  },
  ...READING_FLAGS,
  masks: {
    type: 'string',
    help: 'a folder of ground-truth masks, one PNG per input named after it (cat.png, mnist_3.png): adds pointing-game, relevance-mass, relevance-rank',
  },
  'metric-samples': {
    type: 'int',
    min: 1,
    help: 're-explanations of local-lipschitz and smooth-mprt (Quantus: 200 and 50; say so when you lower it)',
  },
  'flip-step': { type: 'int', min: 1, help: 'pixels per pixel-flipping step (Quantus: 1)' },
  'shuffled-model': {
    type: 'string',
    help: 'the same architecture trained on shuffled labels: adds data randomization (Adebayo et al. §4)',
  },
  'max-batch': {
    type: 'int',
    help: 'rows per forward/backward pass for expanded inputs (default: what fits the memory budget)',
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage(
  'evaluate',
  '--model M (--data D --count N | --input IMAGES) [--methods all] [--metrics all] --out DIR',
  SPECS,
);

function listFlag<T extends string>(value: string, known: readonly T[], what: string): T[] | 'all' {
  if (value === 'all') return 'all';
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as T[];
  for (const m of list)
    if (!known.includes(m))
      throw new DeepvisError(`unknown ${what} '${m}'; known: ${known.join(', ')}, all`);
  if (list.length === 0) throw new DeepvisError(`--${what}s is empty`);
  return list;
}

const NAMES = ATTRIBUTIONS.map((m) => m.name);

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100
    ? v.toFixed(0)
    : Math.abs(v) >= 0.01 || v === 0
      ? v.toFixed(3)
      : v.toExponential(2);
}

function textTable(r: EvaluationReport): string {
  const head = ['method', ...r.metrics.map((m) => `${m} ${r.higherIsBetter[m] ? '↑' : '↓'}`)];
  const rows = r.methods.map((m) => [
    m,
    ...r.metrics.map((k) => {
      const c = r.table[m][k];
      return `${fmt(c.mean)} ±${fmt(c.ci95)}${c.best ? ' *' : ''}`;
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [head, ...rows].map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function html(r: EvaluationReport, title: string, plots: string[], notes: string[]): string {
  const head = r.metrics
    .map((m) => `<th>${escape(m)} ${r.higherIsBetter[m] ? '↑' : '↓'}</th>`)
    .join('');
  const rows = r.methods
    .map(
      (m) =>
        `<tr><th>${escape(m)}</th>${r.metrics
          .map((k) => {
            const c = r.table[m][k];
            return `<td${c.best ? ' class="best"' : ''}>${fmt(c.mean)} <small>± ${fmt(c.ci95)}</small></td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}th:first-child{text-align:left}.best{font-weight:bold;background:#e6f4ea}small{color:#666}img{max-width:100%;margin:1em 0}</style>
<h1>${escape(title)}</h1>
<p>Mean over ${r.units.length} inputs ± half-width of the 95% interval; the best method per metric in bold (↑ higher is better, ↓ lower). Every parameter is in evaluate.json.</p>
<table><tr><th>method</th>${head}</tr>
${rows}</table>
${notes.map((n) => `<p>${escape(n)}</p>`).join('\n')}
${plots.map((p) => `<img src="${escape(p)}" alt="${escape(p)}">`).join('\n')}
</html>
`;
}

export async function run(argv: string[]): Promise<void> {
  const { flags, output, engine, model } = await openModelCommand(argv, SPECS, (f) => {
    if (!(f.count >= 1)) throw new DeepvisError(`--count must be at least 1; got ${f.count}`);
    checkMaxBatch(f['max-batch']);
    listFlag(f.methods, NAMES, 'method');
    listFlag(f.metrics, METRICS, 'metric');
  });
  const notes: string[] = [];
  const methodList = listFlag(flags.methods, NAMES, 'method');
  const fitting = fitFor(
    model,
    methodList === 'all' ? ATTRIBUTIONS : methodList.map((n) => attributionMethod(n)),
    methodList === 'all',
  );
  const methods = fitting.methods.map((m) => m.name);
  notes.push(...fitting.notes);
  let images: tf.Tensor4D;
  let labels: number[] | undefined;
  let names: string[];
  if (flags.input) {
    const input = await imagesFrom(flags.input, model);
    images = input.images;
    names = input.names;
    labels = input.labels.every((l) => l != null) ? (input.labels as number[]) : undefined;
  } else {
    const { set, spec } = await dataFrom(flags, model);
    const count = Math.min(flags.count, set.count);
    const size = set.shape.reduce((a, b) => a * b, 1);
    images = tf.tensor4d(set.images.subarray(0, count * size), [count, ...set.shape]);
    names = Array.from({ length: count }, (_, i) => `${spec}:${i}`);
    labels = set.labels ? Array.from(set.labels.subarray(0, count)) : undefined;
  }
  const metricList = listFlag(flags.metrics, METRICS, 'metric');
  let metrics: MetricName[];
  if (metricList === 'all') {
    metrics = METRICS.filter(
      (m) => (labels || !LABEL_METRICS.includes(m)) && (flags.masks || !MASK_METRICS.includes(m)),
    );
    if (!labels) notes.push(`skipped ${LABEL_METRICS.join(', ')}: the inputs have no labels`);
    if (!flags.masks) notes.push(`skipped ${MASK_METRICS.join(', ')}: no --masks`);
  } else {
    const needs = metricList.filter((m) => LABEL_METRICS.includes(m));
    if (needs.length && !labels) {
      images.dispose();
      throw new DeepvisError(
        `${needs.join(', ')} score accuracy against labels; ${flags.input ? '--input images' : `data set '${flags.data}'`} have none`,
      );
    }
    const masked = metricList.filter((m) => MASK_METRICS.includes(m));
    if (masked.length && !flags.masks) {
      images.dispose();
      throw new DeepvisError(
        `${masked.join(', ')} score maps against ground-truth masks; give --masks DIR`,
      );
    }
    metrics = metricList;
  }
  const units =
    flags.units === 'predicted' || flags.units === 'label'
      ? flags.units
      : parseIntList(flags.units, 'units');
  if (units === 'label' && !labels) {
    images.dispose();
    throw new DeepvisError('--units label needs labelled inputs');
  }
  if (typeof units === 'object' && units.length !== 1 && units.length !== images.shape[0]) {
    images.dispose();
    throw new DeepvisError(
      `give one unit for all ${images.shape[0]} inputs or one per input; got ${units.length}`,
    );
  }
  let masks: Uint8Array | undefined;
  let reading;
  try {
    reading = await readingFrom(
      flags.target,
      model,
      targetLayer(model, { layer: flags.layer }).name,
    );
    masks =
      flags.masks && metrics.some((m) => MASK_METRICS.includes(m))
        ? await masksFrom(flags.masks, names, images.shape[1], images.shape[2])
        : undefined;
  } catch (e) {
    images.dispose();
    throw e;
  }
  const shuffled = flags['shuffled-model']
    ? await modelFrom({ ...flags, model: flags['shuffled-model'] })
    : undefined;
  if (shuffled) metrics.push('data-randomization');
  const started = performance.now();
  const report = evaluateAttributions(model, images, {
    shuffled,
    methods,
    metrics,
    labels,
    units,
    layer: flags.layer,
    reading,
    masks,
    maxBatch: flags['max-batch'],
    seed: flags.seed,
    settings: { samples: flags['metric-samples'], flipStep: flags['flip-step'] },
    onProgress: flags.quiet ? undefined : (what) => process.stderr.write(`\r${what.padEnd(60)}`),
  });
  if (!flags.quiet) process.stderr.write('\n');
  images.dispose();
  shuffled?.dispose();
  const plots: string[] = [];
  const curvePlot = (metric: string) => {
    const withCurve = methods.filter((m) => report.curves[m]?.[metric]);
    if (withCurve.length === 0) return null;
    const series = withCurve.map((m) => ({ label: m, values: report.curves[m][metric].mean }));
    return linePlot({
      title: `${metric}: mean class probability`,
      xs: report.curves[withCurve[0]][metric].xs,
      series,
      xLabel: `fraction of pixels ${metric === 'deletion' ? 'removed' : 'inserted'}`,
    });
  };
  const causal = ['deletion', 'insertion'].map(curvePlot).filter((p) => p != null);
  if (causal.length) {
    await output.png('evaluate-deletion-insertion.png', sideBySide(causal));
    plots.push('evaluate-deletion-insertion.png');
  }
  if (report.mprtLayers && metrics.includes('mprt')) {
    const series = methods.map((m) => ({ label: m, values: report.curves[m].mprt.mean }));
    await output.png(
      'evaluate-mprt.png',
      linePlot({
        title: 'MPRT (cascading, top-down): mean Spearman rho',
        xs: report.mprtLayers.map((_, k) => k),
        ticks: report.mprtLayers,
        series,
        yRange: [-0.2, 1],
        xLabel: 'randomized down to layer',
      }),
    );
    plots.push('evaluate-mprt.png');
  }
  const seconds = (performance.now() - started) / 1000;
  await output.json('evaluate.json', {
    model: flags.model,
    backend: engine.backend,
    inputs: names,
    ...inputFitJson(),
    labels: labels ?? null,
    notes,
    totalSeconds: seconds,
    ...report,
  });
  await output.write(
    'evaluate.html',
    html(report, `attribution evaluation: ${flags.model}`, plots, notes),
  );
  await output.commit();
  console.log(textTable(report));
  for (const n of notes) console.log(n);
  console.log(
    `wrote ${output.final('evaluate')}.html, evaluate.json${plots.length ? ', ' + plots.join(', ') : ''} (${report.units.length} inputs, ${seconds.toFixed(1)} s)`,
  );
  model.dispose();
}
