/**
 * Training history (Zeiler & Fergus 2014 fig. 3, Cavojska 2015): for chosen units, one row per
 * checkpoint of the same architecture, with the unit's feature visualization (the layer's first
 * method), its top-k receptive-field crops over the data set, and the checkpoint's accuracy. Every
 * piece is an artifact keyed by the checkpoint's own model hash, so adding a checkpoint computes
 * only that checkpoint's row.
 */
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import { scanTopK } from '../analysis/scan.js';
import { computeExamples, type UnitExamples } from './examples.js';
import { accuracy } from './layer_stats.js';
import type { ReportData } from './compute.js';
import type { ReportPlan, UnitGroup } from './plan.js';
import type { Section } from './site.js';
import type { ArtifactStore } from './store.js';
import { computeVis, visParams, type VisData } from './vis.js';

export interface Checkpoint {
  readonly label: string;
  readonly path: string;
  readonly model: VisModel;
  readonly hash: string;
}

/** A checkpoint must have the report model's layer table (names, ops, shapes): one line naming the first difference. */
export function checkSameArchitecture(main: VisModel, c: Checkpoint): void {
  const a = main.layers;
  const b = c.model.layers;
  const sig = (l: (typeof a)[number]) => `${l.name} ${l.kind} [${l.outputShape.join(',')}]`;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (!a[i] || !b[i] || sig(a[i]) !== sig(b[i])) {
      throw new DeepvisError(
        `history checkpoint ${c.path} has a different architecture: layer ${i} is ${b[i] ? sig(b[i]) : 'missing'}, the report model's is ${a[i] ? sig(a[i]) : 'missing'}`,
      );
    }
  }
  if (main.input.shape.join() !== c.model.input.shape.join())
    throw new DeepvisError(
      `history checkpoint ${c.path} takes input [${c.model.input.shape.join(', ')}], the report model [${main.input.shape.join(', ')}]`,
    );
}

export interface HistoryUnit {
  readonly layer: string;
  readonly unit: number;
}

/** Per chosen unit, the history section of its page; and the rows as JSON. */
export async function historySections(
  store: ArtifactStore,
  plan: ReportPlan,
  checkpoints: readonly Checkpoint[],
  units: readonly HistoryUnit[],
  data: ReportData | null,
  onCheckpoint?: (i: number) => void,
): Promise<{ sections: Map<string, Section[]>; json: unknown[] }> {
  const byLayer = new Map<string, number[]>();
  for (const u of units) byLayer.set(u.layer, [...(byLayer.get(u.layer) ?? []), u.unit]);
  const rows = new Map<
    string,
    Array<{
      label: string;
      numbers: Record<string, string | number>;
      figures: Array<{ src: string; alt: string; numbers?: Record<string, string | number> }>;
    }>
  >();
  const json: unknown[] = [];
  for (const [ci, c] of checkpoints.entries()) {
    onCheckpoint?.(ci);
    const acc = data
      ? (
          await store.cached('accuracy', { model: c.hash, dataset: data.spec }, () => ({
            data: accuracy(c.model, data.set),
          }))
        ).data
      : null;
    const scan = data
      ? (
          await store.cached(
            'history-scan',
            { model: c.hash, dataset: data.spec, k: plan.k, layers: [...byLayer.keys()] },
            async () => ({
              data: await scanTopK(c.model, data.set, {
                layers: [...byLayer.keys()],
                k: plan.k,
                datasetSpec: data.spec,
              }),
            }),
          )
        ).data
      : null;
    for (const [layer, list] of byLayer) {
      // The history units of a layer are one group of their own, seeded like the report's group of the first.
      const group: UnitGroup = {
        layer,
        units: list,
        seed:
          plan.groups.find((g) => g.layer === layer && g.units.includes(list[0]))?.seed ??
          plan.seed,
        ordinal: -1,
      };
      const kind = plan.methodsOf[layer][0];
      const vis = await store.cached<VisData>(
        `vis-${kind}`,
        { model: c.hash, layer, ...visParams(kind, plan.methods, group) },
        () => computeVis(c.model, kind, plan.methods, group),
      );
      const entry = scan?.layers.find((l) => l.layer === layer);
      const ex =
        data && entry
          ? await store.cached<UnitExamples[]>(
              'history-examples',
              { model: c.hash, dataset: data.spec, layer, units: list, k: plan.k },
              () => computeExamples(c.model, data.set, entry, null, list),
            )
          : null;
      for (const u of list) {
        const v = vis.data.images.find((e) => e.unit === u)!;
        const e = ex?.data.find((x) => x.unit === u);
        const figures: Array<{ src: string; alt: string; numbers: Record<string, number> }> = [
          {
            src: vis.images[v.name],
            alt: `${layer} unit ${u} at ${c.label}: ${kind}`,
            numbers: { [kind]: +v.activation.toPrecision(3), steps: v.steps },
          },
        ];
        e?.top.indices.forEach((idx, r) =>
          figures.push({
            src: ex!.images[`u${u}-top${r}`],
            alt: `${c.label}: example ${r + 1}, image ${idx}`,
            numbers: { act: +e.top.values[r].toPrecision(3) },
          }),
        );
        const numbers = {
          checkpoint: c.path,
          ...(acc ? { accuracy: `${(100 * acc.accuracy).toFixed(2)}%` } : {}),
        };
        const key = `${layer}/${u}`;
        rows.set(key, [...(rows.get(key) ?? []), { label: c.label, numbers, figures }]);
        json.push({
          checkpoint: c.label,
          path: c.path,
          hash: c.hash,
          layer,
          unit: u,
          accuracy: acc?.accuracy ?? null,
          activation: v.activation,
          top: e?.top ?? null,
          image: vis.images[v.name],
        });
      }
    }
  }
  const sections = new Map<string, Section[]>();
  for (const [key, r] of rows)
    sections.set(key, [
      {
        kind: 'rows',
        id: 'history',
        title: 'Training history',
        note: 'One row per checkpoint: feature visualization, then the top data-set examples at that checkpoint (Zeiler & Fergus fig. 3).',
        rows: r,
      },
    ]);
  return { sections, json };
}
