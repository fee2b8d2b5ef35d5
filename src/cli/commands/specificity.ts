/**
 * deepvis specificity --model M[,M2,…] [--data D] --out DIR
 * The maximising-images paper §3: per-class mean activation of every unit over the evaluation set; a unit is specific
 * to a class when its class mean exceeds its overall mean by more than 40%; unimodal / bimodal /
 * non-specific fractions per layer. Pictures: the per-class profiles of chosen units (its Fig. 4)
 * and the fractions per layer depth for several models side by side (its Fig. 5).
 */
import * as path from 'node:path';
import { scannableLayers } from '../../analysis/scan.js';
import {
  specificity,
  SPECIFICITY_THRESHOLD,
  type LayerSpecificity,
} from '../../analysis/specificity.js';
import { DeepvisError } from '../../errors.js';
import { loadModel } from '../../io/model_files.js';
import type { VisModel } from '../../model/types.js';
import { hasWeights } from '../../model/weight_facts.js';
import { checkUnitRange } from '../../objectives/units.js';
import { stack } from '../../render/grid.js';
import { barChart } from '../../render/plots.js';
import { parseArgs, required, usage, type FlagSpecs } from '../args.js';
import {
  engineFrom,
  ENGINE_FLAGS,
  figureFrom,
  OUT_FLAGS,
  MODEL_FLAGS,
  openOutput,
  overridesFrom,
} from '../command.js';
import { dataFrom } from '../inputs.js';

const SPECS = {
  ...MODEL_FLAGS,
  model: {
    type: 'string',
    help: 'model directory or model.json; several, comma-separated, are compared',
  },
  data: { type: 'string', help: "labelled data set (default: the first model's own)" },
  layers: {
    type: 'string',
    help: "layers (same for every model), or 'hidden': every layer with weights but the output",
    default: 'hidden',
  },
  threshold: {
    type: 'number',
    help: 'specific when the class mean exceeds the overall mean by more than this fraction',
    default: SPECIFICITY_THRESHOLD,
  },
  'profile-layer': {
    type: 'string',
    help: "layer whose units' profiles are drawn (default: the first model's first hidden layer)",
  },
  units: {
    type: 'ints',
    help: 'units whose per-class profiles are drawn (default: the most specific unit of each of 6 classes)',
  },
  ...OUT_FLAGS,
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage('specificity', '--model M[,M2…] [--data D] --out DIR', SPECS);

/** Hidden layers as the maximising-images paper counts them: the layers with weights, but not the output. */
function hiddenLayers(model: VisModel): string[] {
  const last = model.layers[model.layers.length - 1].name;
  return scannableLayers(model)
    .filter((l) => l.name !== last && l.name !== model.logitsLayer && hasWeights(model, l.name))
    .map((l) => l.name);
}

/** The most class-specific unit for each of up to n classes (so the profiles show different classes). */
function diverseUnits(layer: LayerSpecificity, n: number): number[] {
  const best = new Map<number, { unit: number; ratio: number }>();
  for (const u of layer.units) {
    if (!(u.overallMean > 0)) continue;
    const top = u.classMeans.indexOf(Math.max(...u.classMeans));
    const ratio = u.classMeans[top] / u.overallMean;
    if (ratio > (best.get(top)?.ratio ?? 0)) best.set(top, { unit: u.unit, ratio });
  }
  return [...best.values()]
    .sort((a, b) => b.ratio - a.ratio)
    .slice(0, n)
    .map((b) => b.unit);
}

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, SPECS);
  const out = required(flags, 'out');
  const paths = required(flags, 'model').split(',');
  const threshold = flags.threshold;
  if (!(threshold >= 0)) throw new DeepvisError('--threshold must be ≥ 0');
  const output = await openOutput(out, '--out', figureFrom(flags));
  const engine = await engineFrom(flags);
  const perModel: Array<{ model: string; layers: LayerSpecificity[] }> = [];
  let profileOf: LayerSpecificity | null = null;
  let classNames: readonly string[] | null = null;
  for (const p of paths) {
    const model = await loadModel(p, overridesFrom(flags));
    const { set } = await dataFrom(flags, model);
    if (!set.labels)
      throw new DeepvisError(`specificity needs labels; data set '${set.name}' has none`);
    classNames ??= set.classNames ?? model.labels;
    const names =
      flags.layers === 'hidden'
        ? hiddenLayers(model)
        : flags.layers.split(',').map((l) => model.layer(l).name);
    const layers = names.map((l) => specificity(model, set, l, { threshold }));
    perModel.push({ model: p, layers });
    const wanted = flags['profile-layer'];
    if (!profileOf)
      profileOf = wanted
        ? (layers.find((l) => l.layer === model.layer(wanted).name) ??
          specificity(model, set, wanted, { threshold }))
        : layers[0];
    model.dispose();
  }
  const depth = Math.max(...perModel.map((m) => m.layers.length));
  const groups = Array.from({ length: depth }, (_, i) => `layer ${i + 1}`);
  const label = (p: string) => path.basename(p.replace(/\/model\.json$/, ''));
  const chart = (what: 'unimodal' | 'specific') =>
    barChart({
      title: `fraction of ${what} units per layer (${Math.round(threshold * 100)}% rule)`,
      groups,
      series: perModel.map((m) => ({
        label: label(m.model),
        values: groups.map((_, i) => {
          const f = m.layers[i]?.fractions;
          return f ? (what === 'unimodal' ? f.unimodal : f.unimodal + f.bimodal) : 0;
        }),
      })),
    });
  await output.png(
    'specificity-fractions.png',
    stack([
      { title: 'unimodal', image: chart('unimodal') },
      { title: 'unimodal + bimodal', image: chart('specific') },
    ]),
  );
  const prof = profileOf!;
  const units =
    flags.units === 'all' ? prof.units.map((_, u) => u) : (flags.units ?? diverseUnits(prof, 6));
  checkUnitRange(units, prof.units.length, prof.layer);
  const classes = Array.from({ length: prof.classes }, (_, k) => classNames?.[k] ?? String(k));
  await output.png(
    'specificity-profiles.png',
    stack(
      units.map((u) => {
        const s = prof.units[u];
        return {
          title: `${prof.layer} unit ${u}: ${s.modality}${s.specificTo.length ? ` (${s.specificTo.map((k) => classes[k]).join(', ')})` : ''}`,
          image: barChart({
            title: 'mean activation per class',
            groups: classes,
            series: [{ label: `unit ${u}`, values: s.classMeans }],
            lines: [
              { label: 'overall mean', value: s.overallMean },
              { label: `+${Math.round(threshold * 100)}%`, value: s.overallMean * (1 + threshold) },
            ],
            height: 110,
          }),
        };
      }),
    ),
  );
  await output.json('specificity.json', {
    backend: engine.backend,
    threshold,
    models: perModel.map((m) => ({
      model: m.model,
      layers: m.layers.map((l) => ({ layer: l.layer, fractions: l.fractions, units: l.units })),
    })),
  });
  await output.commit();
  for (const m of perModel)
    console.log(
      `${label(m.model)}: ${m.layers.map((l) => `${l.layer} ${(100 * l.fractions.unimodal).toFixed(0)}% uni ${(100 * l.fractions.bimodal).toFixed(0)}% bi`).join(' | ')}`,
    );
  console.log(
    `wrote specificity-fractions.png, specificity-profiles.png and specificity.json to ${out}`,
  );
}
