/**
 * The attribution evaluation (`deepvis evaluate`, issue 16) on the atlas's model page: which map
 * to believe for this model, as the method × metric table (mean ± 95% half-width, best per metric
 * starred) and the curve plots beside it. Read from an evaluate output folder; every file named
 * comes from that folder's own evaluate.json and stays inside it.
 */
import * as path from 'node:path';
import { DeepvisError, printable } from '../errors.js';
import { checkRoot, readFenced, readFencedText } from '../io/fence.js';
import type { Section } from './site.js';

interface EvaluateJson {
  methods: string[];
  metrics: string[];
  higherIsBetter: Record<string, boolean>;
  table: Record<string, Record<string, { mean: number; ci95: number; best: boolean }>>;
  units: number[];
  notes?: string[];
}

export interface AtlasEvaluation {
  readonly sections: Section[];
  /** Site path → bytes of the plots to copy. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** The plots `deepvis evaluate` writes; the SVG where it is there (text stays text), else the PNG. */
const PLOTS = ['evaluate-deletion-insertion', 'evaluate-mprt'];
const fmt = (v: number) =>
  !Number.isFinite(v)
    ? String(v)
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 0.01 || v === 0
        ? v.toFixed(3)
        : v.toExponential(2);

function check(j: unknown, file: string): EvaluateJson {
  const e = j as EvaluateJson;
  const ok =
    e &&
    Array.isArray(e.methods) &&
    Array.isArray(e.metrics) &&
    typeof e.table === 'object' &&
    Array.isArray(e.units) &&
    e.methods.every((m) => e.metrics.every((k) => typeof e.table[m]?.[k]?.mean === 'number'));
  if (!ok)
    throw new DeepvisError(
      `${file} is not the evaluate.json of \`deepvis evaluate\` (methods, metrics, table)`,
    );
  // Notes are text: an object there (a link, say) would reach the page as markup's input.
  if (e.notes != null && (!Array.isArray(e.notes) || e.notes.some((n) => typeof n !== 'string')))
    throw new DeepvisError(`${file}: 'notes' must be a list of strings`);
  const texts = [...e.methods, ...e.metrics];
  if (texts.some((t) => typeof t !== 'string'))
    throw new DeepvisError(`${file}: 'methods' and 'metrics' must be lists of names`);
  return e;
}

/** The folder is read through the fence (io/fence.ts): a linked or special evaluate.json or plot is refused. */
export async function readEvaluation(dir: string): Promise<AtlasEvaluation> {
  const file = path.join(dir, 'evaluate.json');
  const what = `--evaluation ${dir}`;
  await checkRoot(dir, what);
  const text = await readFencedText(dir, 'evaluate.json', what, { maxBytes: 64 << 20 });
  if (text == null)
    throw new DeepvisError(
      `--evaluation ${printable(dir)}: no evaluate.json there (run deepvis evaluate --out ${printable(dir)})`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DeepvisError(`${printable(file)} is not valid JSON`);
  }
  const e = check(parsed, printable(file));
  const files = new Map<string, Uint8Array>();
  for (const p of PLOTS) {
    for (const ext of ['.svg', '.png']) {
      const bytes = await readFenced(dir, p + ext, what, { maxBytes: 64 << 20 });
      if (!bytes) continue;
      files.set(`evaluation/${p}${ext}`, bytes);
      break;
    }
  }
  return { sections: evaluationSections(e, [...files.keys()]), files };
}

export function evaluationSections(e: EvaluateJson, plots: readonly string[]): Section[] {
  const head = ['method', ...e.metrics.map((m) => `${m} ${e.higherIsBetter[m] ? '↑' : '↓'}`)];
  const rows = e.methods.map((m) => [
    m,
    ...e.metrics.map((k) => {
      const c = e.table[m][k];
      return `${fmt(c.mean)} ± ${fmt(c.ci95)}${c.best ? ' ★' : ''}`;
    }),
  ]);
  const best = e.metrics
    .map((k) => `${k}: ${e.methods.find((m) => e.table[m][k].best) ?? '–'}`)
    .join('; ');
  const sections: Section[] = [
    {
      kind: 'table',
      id: 'attribution',
      title: `Which attribution to believe (${e.units.length} inputs; ★ best per metric)`,
      head,
      rows,
    },
  ];
  sections.push({
    kind: 'facts',
    title: 'Best method per metric',
    items: [['best', best], ...(e.notes ?? []).map((n) => ['note', n] as const)],
  });
  if (plots.length)
    sections.push({
      kind: 'figures',
      title: 'Deletion / insertion and MPRT curves',
      size: 'wide',
      figures: plots.map((src) => ({
        src,
        alt:
          path
            .basename(src)
            .replace(/\.(png|svg)$/, '')
            .replace('evaluate-', '') + ' curves per attribution method',
      })),
    });
  return sections;
}
