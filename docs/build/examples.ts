/**
 * The runs behind a method's docs page, from its registry value alone: which small model it runs
 * on, the CLI command that makes its picture (shown on the page as run, so the example is known to
 * work), and a library example in the same terms. Nothing here names a method: a new registry row
 * gets all three.
 */
import type { AnyAttribution } from '../../src/attribution/method.js';
import { unfit } from '../../src/attribution/method.js';
import type { AnyFeatureVis } from '../../src/methods/method.js';
import type { VisModel } from '../../src/model/types.js';

/** The models the pictures are made on, in order of preference: a method runs on the first it fits. */
export const DOCS_MODELS = [
  {
    path: 'test/fixtures/onnx/trained/mnist-resnet',
    about: 'a small ResNet trained on MNIST (three residual blocks, 97.7% on the test digits)',
  },
  {
    path: 'test/fixtures/onnx/trained/mnist-vit',
    about: 'a small vision transformer trained on MNIST (4-pixel patches, 4 blocks, 94.3%)',
  },
] as const;

export type DocsModel = (typeof DOCS_MODELS)[number] & { readonly model: VisModel };

/** Units (class logits: digits 0–3) of a feature-visualization picture; images of an attribution one. */
export const UNITS = [0, 1, 2, 3];
const DIGITS = 'mnist:0-3';
/** The start image of methods that need one: a test digit. */
const START = 'mnist:3';

export type Method =
  | { readonly kind: 'feature-visualization'; readonly value: AnyFeatureVis }
  | { readonly kind: 'attribution'; readonly value: AnyAttribution };

/** A method's docs run: the command's arguments, grouped in lines, and what the page says of them. */
export interface Example {
  readonly method: Method;
  readonly model: DocsModel;
  /** The command's arguments, in lines of the shown example (`--out` last). */
  readonly lines: readonly (readonly string[])[];
  /** The library example, as a module. */
  readonly library: string;
}

const flag = (name: string, value: string | number | boolean): string[] =>
  value === true ? [`--${name}`] : value === false ? [] : [`--${name}`, String(value)];

/** The first docs model the method can run on or is made for (none: no picture, `null`). */
export function modelFor(method: Method, models: readonly DocsModel[]): DocsModel | null {
  if (method.kind === 'feature-visualization') {
    const fits = models.filter((m) => m.model.logitsLayer);
    // A method the atlas turns on by itself for some models (ViT features on transformers) shows
    // on the first of those.
    const made = method.value.atlas?.auto?.when;
    return (made && fits.find((m) => made(m.model))) ?? fits[0] ?? null;
  }
  return models.find((m) => unfit(method.value, m.model) == null) ?? null;
}

/** The docs run of `method` on `model`: its CLI lines and its library example. */
export function exampleOf(method: Method, model: DocsModel): Example {
  const m = model.model;
  if (method.kind === 'feature-visualization') {
    const v = method.value;
    const extra = Object.entries(v.example ?? {}).flatMap(([k, x]) => flag(k, x));
    const lines = [
      ['maximize', '--method', v.name, ...extra],
      ['--model', model.path],
      ['--layer', m.logitsLayer ?? '', '--units', `${UNITS[0]}-${UNITS[UNITS.length - 1]}`],
      // The data set gives every picture its quality scores, and the methods that read data their data.
      ['--data', 'mnist', ...(v.needs?.image ? ['--input', START] : [])],
      ['--out', 'out/'],
    ].filter((l) => l.length > 0);
    return { method, model, lines, library: featureVisLibrary(v, model) };
  }
  const v = method.value;
  const lines = [
    ['attribute', '--method', v.name],
    ['--model', model.path],
    ['--input', DIGITS],
    ['--out', 'out/'],
  ];
  return { method, model, lines, library: attributionLibrary(v, model) };
}

/** The CLI example as shown: `npx deepvis …` over at most five lines. */
export function cliText(e: Example): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  return e.lines
    .map((l, i) => `${i === 0 ? 'npx deepvis ' : '  '}${l.map(quote).join(' ')}`)
    .join(' \\\n');
}

/** `--out` replaced by the build's own folder, quietly. */
export function argvOf(e: Example, out: string): string[] {
  return [...e.lines.flat().slice(0, -1), out, '--quiet'];
}

const options = (o: Readonly<Record<string, unknown>>, skip: readonly string[]): string => {
  const kept = Object.entries(o).filter(([k]) => !skip.includes(k));
  if (kept.length === 0) return '{}';
  const key = (k: string) => (/^[a-zA-Z_]\w*$/.test(k) ? k : `'${k}'`);
  return `{ ${kept.map(([k, x]) => `${key(k)}: ${JSON.stringify(x).replace(/"/g, "'")}`).join(', ')} }`;
};

function featureVisLibrary(v: AnyFeatureVis, model: DocsModel): string {
  const steps = v.example?.steps;
  const request = `{ layer: '${model.model.logitsLayer}', units: [${UNITS.join(', ')}]${steps != null ? `, steps: ${steps}` : ''} }`;
  const ctx = ['model', 'data', ...(v.needs?.image ? ['image'] : [])];
  return [
    `import { ${['featureVis', ...(v.needs?.image ? ['data as sets'] : []), 'initEngine', 'loadEvalSet', 'loadModel'].join(', ')} } from 'deepvis/node';`,
    '',
    'await initEngine();',
    `const model = await loadModel('${model.path}');`,
    "const data = await loadEvalSet('mnist', model.input.shape); // the test digits, 0…1",
    ...(v.needs?.image
      ? ['const image = sets.batchTensor(data, 3, 4); // the start image [1, 28, 28, 1]']
      : []),
    `const method = featureVis.method('${v.name}');`,
    `const args = featureVis.argsFor(method, ${request}, ${options(v.example ?? {}, ['steps'])}, { ${ctx.join(', ')} });`,
    'const result = featureVis.runChunked(method, model, args); // result.images: [4, 28, 28, 1]',
    "console.log(result.units.map((u) => u.activation.toFixed(2)).join(' '));",
    `result.dispose();${v.needs?.image ? '\nimage.dispose();' : ''}`,
  ].join('\n');
}

function attributionLibrary(v: AnyAttribution, model: DocsModel): string {
  return [
    "import { attribution, data, initEngine, loadEvalSet, loadModel } from 'deepvis/node';",
    '',
    'await initEngine();',
    `const model = await loadModel('${model.path}');`,
    "const digits = await loadEvalSet('mnist', model.input.shape); // the test digits, 0…1",
    'const x = data.batchTensor(digits, 0, 4); // four of them [4, 28, 28, 1]',
    `const map = attribution.attribute(model, x, { method: '${v.name}' }); // each one's top class`,
    'console.log(map.units, map.scores); // the classes explained and their scores',
    'console.log(map.heat.length); // the heat [4, 28, 28], flat; map.values: the raw map',
    'x.dispose();',
  ].join('\n');
}
