/**
 * deepvis report --model M [--data D] [--layers …] [--history DIR|M1,M2,…] --out DIR
 * deepvis report … --shard K/N --out PART      (one part: its unit groups and its slice of the scan)
 * deepvis report --merge PART1 PART2 … --out DIR
 * deepvis report … --workers N --out DIR       (N shard processes on this machine, then the merge)
 * The atlas (issue 11): a static site of the model, its layers and units, from file://. Artifacts
 * are cached in DIR/a by content, so a rerun recomputes only what changed; the pages are staged and
 * renamed into place together, and index.html is written after them.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { withDatasetLabels } from '../../model/labels.js';
import { DeepvisError, printable } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkRoot, listFenced, readFencedText } from '../../io/fence.js';
import { loadModel } from '../../io/model_files.js';
import { computeReport } from '../../report/build.js';
import { CONCEPT_VIS_DEFAULTS } from '../../report/concept_vis.js';
import { CONCEPT_ATLAS_DEFAULTS, type ConceptAtlasArgs } from '../../report/concepts.js';
import { readEvaluation } from '../../report/evaluation.js';
import type { Section } from '../../report/site.js';
import { checkSameArchitecture, type Checkpoint, type HistoryUnit } from '../../report/history.js';
import { modelHash } from '../../report/model_hash.js';
import {
  ATLAS_METHODS,
  DEFAULT_METHODS,
  parseShard,
  planReport,
  REPORT_DEFAULTS,
  type ReportPlan,
} from '../../report/plan.js';
import { ArtifactStore } from '../../report/store.js';
import { parseArgs, usage, type Flags, type FlagSpecs } from '../args.js';
import { ENGINE_FLAGS, MODEL_FLAGS, openModelCommand, overridesFrom } from '../command.js';
import { DATA_FLAGS, dataFrom } from '../inputs.js';
import { Progress } from '../progress.js';

/**
 * Per method the atlas uses (the registry's atlas settings): --NAME-KEY for each setting, and
 * --NAME auto|on|off for a method on only some models by default (MaCo: colour models).
 */
const ATLAS_FLAGS: FlagSpecs = Object.fromEntries(
  ATLAS_METHODS.flatMap((m) => [
    ...(m.atlas.auto
      ? [
          [
            m.name,
            {
              type: 'string',
              help: m.atlas.auto.help,
              choices: ['auto', 'on', 'off'],
              default: 'auto',
            },
          ] as const,
        ]
      : []),
    ...Object.entries(m.atlas.settings).map(
      ([key, v]) =>
        [
          `${m.name}-${key}`,
          { type: 'int', min: 1, help: `${m.title} ${key} (report default ${v})` },
        ] as const,
    ),
  ]),
);

const COMMON = {
  ...MODEL_FLAGS,
  ...DATA_FLAGS,
  'no-data': { type: 'bool', help: 'no data-set views (feature visualizations and weights only)' },
  layers: { type: 'string', help: 'comma-separated layers (default every dense and conv layer)' },
  k: { type: 'int', help: 'top and most negative examples per unit', default: REPORT_DEFAULTS.k },
  'group-size': {
    type: 'int',
    help: 'units optimized as one batch',
    default: REPORT_DEFAULTS.groupSize,
  },
  'diverse-steps': {
    type: 'int',
    help: `steps of the diverse images (report default ${DEFAULT_METHODS.diverse.steps})`,
  },
  'diverse-count': {
    type: 'int',
    help: `diverse images per unit (report default ${DEFAULT_METHODS.diverse.perUnit})`,
  },
  'center-steps': {
    type: 'int',
    help: `steps of a first convolution's centre-neuron images (report default ${DEFAULT_METHODS.center.steps})`,
  },
  'embed-count': {
    type: 'int',
    help: "images in a dense layer's t-SNE",
    default: REPORT_DEFAULTS.embedCount,
  },
  concepts: {
    type: 'bool',
    help: "concept pages: CRAFT on each class at one layer (a page per class and per concept, links from that layer's unit pages); needs labelled --data",
  },
  'concept-layer': {
    type: 'string',
    help: "the concepts' layer (default the last spatial layer before the class scores)",
  },
  'concept-classes': {
    type: 'string',
    help: `classes with concept pages, indices or labels, comma-separated (default the first ${CONCEPT_ATLAS_DEFAULTS.maxClasses})`,
  },
  'concept-k': {
    type: 'int',
    min: 1,
    help: `concepts per class (default ${CONCEPT_ATLAS_DEFAULTS.k}, at most the layer's width)`,
  },
  'concept-images': {
    type: 'int',
    min: 1,
    help: 'class images the Sobol importance is averaged over',
    default: CONCEPT_ATLAS_DEFAULTS.importanceImages,
  },
  'concept-vis-steps': {
    type: 'int',
    min: 0,
    help: "steps of each concept's feature visualization (Lucid, cosine to its direction; 0: none)",
    default: CONCEPT_VIS_DEFAULTS.steps,
  },
  history: {
    type: 'string',
    help: 'checkpoints of the same architecture: a folder of checkpoint folders/files (sorted by the number in their name), or M1,M2,…',
  },
  'history-units': {
    type: 'string',
    help: 'units shown over the history, LAYER:UNIT,… (default the first 2 units of each reported layer)',
  },
  shard: {
    type: 'string',
    help: 'compute part K of N (K/N): its units and its slice of the data-set scan',
  },
  merge: { type: 'bool', help: 'assemble the site from shard folders given as arguments' },
  workers: { type: 'int', help: 'run N shard processes on this machine, then merge', default: 1 },
  reproduce: {
    type: 'string',
    help: 'a `deepvis reproduce` output folder: linked from the model page',
  },
  evaluation: {
    type: 'string',
    help: 'a `deepvis evaluate` output folder: its method × metric table and curves go on the model page',
  },
  'serve-url': {
    type: 'string',
    help: 'where `deepvis serve` runs, for the "open live" links',
    default: 'http://localhost:8080/',
  },
  out: { type: 'string', help: 'output folder of the site' },
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
const SPECS = { ...COMMON, ...ATLAS_FLAGS } as typeof COMMON;
export const help = usage(
  'report',
  '--model M [--data D] [--layers …] [--history …] --out DIR  |  --merge DIR1 DIR2 … --out DIR',
  SPECS,
);

/** The common flags typed, and the atlas methods' flags by name. */
type ReportFlags = Flags<typeof COMMON> & Readonly<Record<string, unknown>>;
const MANIFEST = 'shard.json';

function check(f: ReportFlags): void {
  if (f.shard) parseShard(f.shard);
  if (!(f.workers >= 1)) throw new DeepvisError(`--workers must be at least 1; got ${f.workers}`);
  if (f.workers > 1 && f.shard)
    throw new DeepvisError('--workers runs the shards itself; do not give --shard with it');
  for (const name of ['k', 'group-size', 'embed-count'] as const)
    if (!(f[name] >= 1)) throw new DeepvisError(`--${name} must be at least 1; got ${f[name]}`);
}

function planOf(flags: ReportFlags, model: Parameters<typeof planReport>[0]): ReportPlan {
  const given = (pairs: Array<[string, unknown]>) =>
    Object.fromEntries(pairs.filter(([, v]) => v != null)) as Record<string, number>;
  return planReport(model, {
    layers: flags.layers
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    groupSize: flags['group-size'],
    k: flags.k,
    seed: flags.seed,
    embedCount: flags['embed-count'],
    include: Object.fromEntries(
      ATLAS_METHODS.filter((m) => m.atlas.auto && flags[m.name] !== 'auto').map((m) => [
        m.name,
        flags[m.name] === 'on',
      ]),
    ),
    shard: flags.shard ? parseShard(flags.shard) : undefined,
    methods: {
      ...Object.fromEntries(
        ATLAS_METHODS.map((m) => [
          m.name,
          given(Object.keys(m.atlas.settings).map((key) => [key, flags[`${m.name}-${key}`]])),
        ]),
      ),
      diverse: given([
        ['steps', flags['diverse-steps']],
        ['perUnit', flags['diverse-count']],
      ]),
      center: given([['steps', flags['center-steps']]]),
    },
  });
}

/** --concepts and its settings (classes by index or label), or undefined. */
function conceptsOf(
  flags: ReportFlags,
  model: { labels: readonly string[] | null },
): ConceptAtlasArgs | undefined {
  if (!flags.concepts) return undefined;
  const classes = flags['concept-classes']
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((c) => {
      if (/^\d+$/.test(c)) return Number(c);
      const i = model.labels?.indexOf(c) ?? -1;
      if (i < 0)
        throw new DeepvisError(
          `--concept-classes: '${c}' is neither an index nor a label (labels: ${model.labels?.slice(0, 20).join(', ') ?? 'none'})`,
        );
      return i;
    });
  const steps = flags['concept-vis-steps'];
  return {
    layer: flags['concept-layer'],
    classes,
    k: flags['concept-k'],
    importanceImages: flags['concept-images'],
    vis: steps > 0 ? { method: CONCEPT_VIS_DEFAULTS.method, steps } : null,
    seed: flags.seed,
  };
}

/** The model page's link to the seed papers' pages, relative to the atlas folder. */
async function reproduceLink(dir: string, out: string): Promise<Section> {
  const index = path.join(dir, 'index.html');
  if (!(await fs.stat(index).catch(() => null)))
    throw new DeepvisError(
      `--reproduce ${dir}: no index.html there (run deepvis reproduce all --out ${dir})`,
    );
  const href = path.relative(path.resolve(out), path.resolve(index)).split(path.sep).join('/');
  return {
    kind: 'facts',
    title: 'The seed papers, re-made',
    items: [['deepvis reproduce', { text: 'figures and claims of papers 000–004', href }]],
  };
}

/** --history: a folder of checkpoints (sorted by the number in each name) or a comma list. */
async function checkpointPaths(spec: string): Promise<string[]> {
  const st = await fs.stat(spec).catch(() => null);
  if (st?.isDirectory() && !(await fs.stat(path.join(spec, 'model.json')).catch(() => null))) {
    // Through the fence: a link or a FIFO among the checkpoints is refused, not followed or opened.
    const names = ((await listFenced(spec, '', `--history ${spec}`)) ?? [])
      .map((e) => e.name)
      .filter((n) => n !== 'deepvis.json');
    const num = (n: string) => Number(/(\d+)/.exec(n)?.[1] ?? Infinity);
    names.sort((a, b) => num(a) - num(b) || (a < b ? -1 : 1));
    if (names.length === 0) throw new DeepvisError(`--history ${spec} holds no checkpoints`);
    return names.map((n) => path.join(spec, n));
  }
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function historyUnits(flags: ReportFlags, plan: ReportPlan): HistoryUnit[] {
  if (!flags['history-units'])
    return plan.layers.flatMap((l) =>
      [0, 1].filter((u) => u < l.units).map((unit) => ({ layer: l.name, unit })),
    );
  return flags['history-units'].split(',').map((s) => {
    const m = /^(.+):(\d+)$/.exec(s.trim());
    const layer = m && plan.layers.find((l) => l.name === m[1]);
    if (!m || !layer)
      throw new DeepvisError(
        `--history-units: '${s}' is not LAYER:UNIT of a reported layer (${plan.layers.map((l) => l.name).join(', ')})`,
      );
    if (Number(m[2]) >= layer.units)
      throw new DeepvisError(
        `--history-units: layer ${layer.name} has ${layer.units} units; got ${m[2]}`,
      );
    return { layer: layer.name, unit: Number(m[2]) };
  });
}

export async function run(argv: string[]): Promise<void> {
  const { flags: pre, positional } = parseArgs(argv, SPECS);
  if (pre.merge) return merge(positional, argv);
  if (pre.workers > 1) return workers(argv, pre);
  await single(argv, null);
}

/** One run (shard or whole); `mergeFrom` when assembling shards: their folders and count. */
async function single(
  argv: readonly string[],
  mergeFrom: { dirs: string[]; shards: number } | null,
  outOverride?: string,
): Promise<void> {
  const cleaned = mergeFrom
    ? [
        ...stripFlag(argv, '--merge', mergeFrom.dirs),
        ...(outOverride ? ['--out', outOverride] : []),
      ]
    : argv;
  const {
    flags,
    out,
    output,
    engine,
    model: opened,
  } = await openModelCommand(cleaned, SPECS, check);
  const modelPath = flags.model!;
  const evaluation = flags.evaluation ? await readEvaluation(flags.evaluation) : null;
  const papers = flags.reproduce ? await reproduceLink(flags.reproduce, out) : null;
  const modelExtras = [...(evaluation?.sections ?? []), ...(papers ? [papers] : [])];
  const plan = planOf(flags, opened);
  const units = historyUnits(flags, plan);
  const checkpoints: Checkpoint[] = [];
  if (flags.history && plan.shard[1] === 1) {
    for (const [i, p] of (await checkpointPaths(flags.history)).entries()) {
      const m = await loadModel(p, overridesFrom(flags));
      const c = {
        label: /(\d+)/.exec(path.basename(p))?.[0]
          ? `checkpoint ${path.basename(p)}`
          : `checkpoint ${i + 1}`,
        path: p,
        model: m,
        hash: await modelHash(p, overridesFrom(flags)),
      };
      checkSameArchitecture(opened, c);
      checkpoints.push(c);
    }
  }
  const data = flags['no-data']
    ? null
    : await dataFrom(flags, opened).catch((e) => (flags.data ? Promise.reject(e) : null));
  // Class names the model lacks come from the data set (the model page, unit pages and JSON agree).
  const model = data ? withDatasetLabels(opened, data.set.classNames, data.spec) : opened;
  const concepts = conceptsOf(flags, model);
  if (concepts && !data?.set.labels)
    throw new DeepvisError('--concepts explains classes by their images: give labelled --data');
  const hash = await modelHash(modelPath, overridesFrom(flags));
  const store = new ArtifactStore(output.dir);
  if (mergeFrom) for (const d of mergeFrom.dirs) await store.absorb(d);
  const bar = new Progress('report', 1, Boolean(flags.quiet));
  const started = performance.now();
  const onProgress = (p: { done: number; total: number; phase: string }) => {
    const secs = (performance.now() - started) / 1000;
    const eta = p.done > 0 ? (secs / p.done) * (p.total - p.done) : NaN;
    bar.update(
      p.total ? p.done / p.total : 0,
      `${p.done}/${p.total} units, ${p.phase}${Number.isFinite(eta) ? `, ETA ${Math.round(eta)}s` : ''}`,
    );
  };
  const site = await computeReport({
    model,
    modelPath,
    hash,
    plan,
    store,
    data,
    onProgress,
    serveUrl: flags['serve-url'],
    modelExtras,
    scanShards: mergeFrom?.shards,
    concepts,
    history: checkpoints.length ? { checkpoints, units } : undefined,
  });
  bar.done();
  const counts = `computed ${store.totalComputed()} artifacts (${
    Object.entries(store.computed)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  }), reused ${Object.values(store.reused).reduce((a, b) => a + b, 0)}`;
  if (!site) {
    await output.json(MANIFEST, {
      version: 1,
      shard: plan.shard,
      hash,
      argv: stripFlag(argv, '--out', []).filter(
        (_, i, a) => a[i - 1] !== '--shard' && _ !== '--shard',
      ),
      computed: store.computed,
      backend: engine.backend,
    });
    await output.commit();
    console.log(`shard ${plan.shard.join('/')}: ${counts}; wrote ${out}`);
    model.dispose();
    return;
  }
  for (const [rel, text] of site.files) await output.write(rel, text);
  for (const [rel, bytes] of evaluation?.files ?? []) await output.write(rel, bytes);
  await output.json('report-run.json', {
    computed: store.computed,
    reused: store.reused,
    seconds: (performance.now() - started) / 1000,
    backend: engine.backend,
  });
  await output.commit();
  await writeFileAtomic(path.join(output.dir, 'index.html'), site.index);
  await store.prune(store.touched);
  console.log(
    `${counts} in ${((performance.now() - started) / 1000).toFixed(1)}s; ${site.pages} pages; open ${path.join(output.dir, 'index.html')}`,
  );
  for (const c of checkpoints) c.model.dispose();
  model.dispose();
}

/** argv without `flag` and the given positional values. */
function stripFlag(argv: readonly string[], flag: string, drop: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) {
      if (flag === '--out') i++;
      continue;
    }
    if (drop.includes(argv[i])) continue;
    out.push(argv[i]);
  }
  return out;
}

interface ShardManifest {
  shard: [number, number];
  hash: string;
  argv: string[];
}

/** A shard's shard.json, read through the fence and checked field by field (one line naming the shard and the field). */
async function readShardManifest(d: string): Promise<ShardManifest> {
  const what = `report shard ${d}`;
  await checkRoot(d, what);
  const text = await readFencedText(d, MANIFEST, what, { maxBytes: 1 << 20 });
  if (text == null)
    throw new DeepvisError(`${printable(d)} is not a finished report shard (no ${MANIFEST})`);
  let j: Partial<ShardManifest>;
  try {
    j = JSON.parse(text) as Partial<ShardManifest>;
  } catch {
    throw new DeepvisError(
      `${printable(path.join(d, MANIFEST))} is not valid JSON (a damaged shard? run it again)`,
    );
  }
  const bad = (field: string, want: string) =>
    new DeepvisError(
      `${printable(path.join(d, MANIFEST))}: '${field}' must be ${want} (a damaged shard? run it again)`,
    );
  if (j == null || typeof j !== 'object' || Array.isArray(j))
    throw bad('(the file)', 'a JSON object');
  const s = j.shard;
  if (
    !Array.isArray(s) ||
    s.length !== 2 ||
    !s.every((v) => Number.isInteger(v)) ||
    !(s[1] >= 1 && s[1] <= 1000 && s[0] >= 1 && s[0] <= s[1])
  )
    throw bad('shard', '[K, N] with 1 ≤ K ≤ N ≤ 1000');
  if (typeof j.hash !== 'string' || !/^[0-9a-f]{8,128}$/.test(j.hash))
    throw bad('hash', "the model's content hash");
  if (!Array.isArray(j.argv) || !j.argv.every((a) => typeof a === 'string'))
    throw bad('argv', 'a list of strings');
  if (j.argv.some((a) => /^--(out|merge|workers|shard)(=|$)/.test(a)))
    throw bad('argv', "the shard run's options without --out, --merge, --workers or --shard");
  return j as ShardManifest;
}

async function merge(dirs: string[], argv: readonly string[]): Promise<void> {
  if (dirs.length === 0)
    throw new DeepvisError('--merge needs the shard folders, e.g. --merge part1 part2 --out site');
  const manifests: ShardManifest[] = [];
  for (const d of dirs) manifests.push(await readShardManifest(d));
  const n = manifests[0].shard[1];
  const seen = new Set(manifests.map((m) => m.shard[0]));
  if (manifests.some((m) => m.shard[1] !== n) || seen.size !== n || manifests.length !== n) {
    throw new DeepvisError(
      `--merge needs shards 1…${n} of one run, each once; got ${manifests.map((m) => m.shard.join('/')).join(', ')}`,
    );
  }
  if (
    manifests.some(
      (m) => m.hash !== manifests[0].hash || m.argv.join('\0') !== manifests[0].argv.join('\0'),
    )
  ) {
    throw new DeepvisError('--merge: the shards were made from different models or options');
  }
  const out = parseArgs(argv, SPECS).flags.out;
  if (!out) throw new DeepvisError('--out is required');
  await single(manifests[0].argv, { dirs, shards: n }, out);
}

/** --workers N: N child processes, each `report … --shard k/N` into DIR/.shards/k, then the merge here. */
async function workers(argv: readonly string[], flags: ReportFlags): Promise<void> {
  const n = flags.workers;
  const out = flags.out;
  if (!out) throw new DeepvisError('--out is required');
  const base = stripFlag(argv, '--out', []).filter(
    (a, i, all) => !(a === '--workers' || all[i - 1] === '--workers'),
  );
  const dirs = Array.from({ length: n }, (_, k) => path.join(out, '.shards', String(k + 1)));
  await Promise.all(
    dirs.map(
      (d, k) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              ...process.execArgv,
              process.argv[1],
              'report',
              ...base,
              '--shard',
              `${k + 1}/${n}`,
              '--out',
              d,
              '--quiet',
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let err = '';
          child.stderr.on('data', (b: Buffer) => {
            err += b.toString();
          });
          child.on('exit', (code) =>
            code === 0
              ? resolve()
              : reject(
                  new DeepvisError(
                    `worker ${k + 1}/${n} failed: ${err.trim().split('\n').pop() ?? `exit ${code}`}`,
                  ),
                ),
          );
        }),
    ),
  );
  await merge(dirs, ['--out', out]);
  await fs.rm(path.join(out, '.shards'), { recursive: true, force: true });
}
