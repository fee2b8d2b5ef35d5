/**
 * A page per registered method, from its registry value: the idea, the paper, its facts (what it
 * needs, how it reads the model, where the product uses it), the picture its docs run made with
 * the numbers of that run, its options with their defaults, and the CLI and library examples.
 * Also the tables of each family that the overview pages show.
 */
import type { AnyAttribution } from '../../src/attribution/method.js';
import type { AnyFeatureVis } from '../../src/methods/method.js';
import { withDefaults } from '../../src/methods/method.js';
import { READING_KINDS } from '../../src/objectives/target.js';
import { checkOptions, type OptionSpecs } from '../../src/options.js';
import { cliText, type Example, type Method, UNITS } from './examples.js';
import { rel } from './layout.js';
import { escapeHtml, inline, slug } from './markdown.js';
import type { Picture } from './pictures.js';

/** A method's page, picture and examples as the site holds them. */
export interface MethodPage {
  readonly method: Method;
  /** Site-relative path of its page. */
  readonly at: string;
  readonly example: Example | null;
  readonly picture: Picture | null;
  /** Left out of a partial build (`--only`). */
  readonly skipped: boolean;
}

export const pageOf = (m: Method): string => `${m.kind}/${m.value.name}.html`;
export const pictureBase = (m: Method): string => `img/${m.kind}/${m.value.name}`;

const FAMILY = {
  'feature-visualization': { title: 'Feature visualization', page: 'feature-visualization.html' },
  attribution: { title: 'Attribution', page: 'attribution.html' },
} as const;

/** One line of what the method does: a feature-visualization method's tagline, an attribution's summary. */
const lineOf = (m: Method): string =>
  m.kind === 'feature-visualization' ? m.value.tagline : m.value.summary;

/** The paper, linked to the references page when that page lists it. */
function paperHtml(paper: string, at: string, refs: ReadonlySet<string>): string {
  const id = slug(paper);
  return refs.has(id)
    ? `<a href="${rel(at, 'references.html')}#${id}">${escapeHtml(paper)}</a>`
    : escapeHtml(paper);
}

function optionsTable(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, s]) => {
    const type = s.choices ? s.choices.join(' | ') : s.type;
    const dflt = s.default === undefined ? '—' : `<code>${escapeHtml(String(s.default))}</code>`;
    const min = s.min != null ? ` (at least ${s.min})` : '';
    return `<tr><td><code>--${escapeHtml(name)}</code></td><td>${escapeHtml(type)}${min}</td><td>${dflt}</td><td>${escapeHtml(s.help)}</td></tr>`;
  });
  if (rows.length === 0) return '<p>It has no options of its own.</p>';
  return `<table><thead><tr><th>option</th><th>value</th><th>default</th><th>what it does</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const fmt = (v: unknown): string => (typeof v === 'number' ? v.toPrecision(3) : String(v));

function featureVisFacts(v: AnyFeatureVis, e: Example | null): [string, string][] {
  const facts: [string, string][] = [
    ['command', `<code>deepvis maximize --method ${escapeHtml(v.name)}</code>`],
  ];
  const needs = [
    ...(e && v.needs?.data?.(e.model.model)
      ? [`data (<code>--data</code>): it ${escapeHtml(v.needs.data(e.model.model)!)}`]
      : []),
    ...(v.needs?.image ? ['a start image (<code>--input</code>)'] : []),
  ];
  facts.push(['needs', needs.length ? needs.join('; ') : 'a model and a layer']);
  if (e) {
    const m = e.model.model;
    const plan = v.batch(m, { layer: m.logitsLayer ?? '', units: UNITS }, withDefaults(v));
    facts.push([
      'batch',
      `${plan.copies} image${plan.copies === 1 ? '' : 's'} per unit by default (${escapeHtml(plan.what)}); ${plan.chunkable ? 'units run in consecutive batches when they do not fit in memory' : 'all units in one batch'}`,
    ]);
  }
  const atlas = v.atlas
    ? [v.atlas.conv != null ? 'conv layers' : '', v.atlas.dense != null ? 'dense layers' : '']
        .filter(Boolean)
        .join(' and ')
    : '';
  facts.push([
    'used by',
    [
      v.interactive === false ? '' : 'the live toolbox (<code>deepvis serve</code>)',
      atlas ? `the atlas on ${atlas}${v.atlas?.auto ? ' (when switched on)' : ''}` : '',
      v.compare === false ? '' : '<code>maximize --compare-methods</code>',
    ]
      .filter(Boolean)
      .join(', ') || 'the command line and the library',
  ]);
  return facts;
}

function attributionFacts(v: AnyAttribution): [string, string][] {
  const access = {
    gradient: 'input gradients',
    rules: 'a backward pass with swapped ReLU and max-pooling rules',
    forward: 'forward passes only (no gradient)',
  }[v.access];
  const expands = v.expands?.(checkOptions(v.options, {}));
  return [
    ['command', `<code>deepvis attribute --method ${escapeHtml(v.name)}</code>`],
    ['reads the model by', access],
    ...(v.layer
      ? [
          [
            'hidden layer',
            `${escapeHtml(v.layer.what)} (<code>--cam-layer</code>; default: the last one before the target)`,
          ] as [string, string],
        ]
      : []),
    ['targets', (v.readings ?? READING_KINDS).join(', ')],
    [
      'heat',
      `${v.signed ? 'signed (blue–white–red)' : 'unsigned (from zero up)'}; drawn as ${v.display === 'heat' ? 'heat over the input' : 'the signed pixel map itself'}`,
    ],
    ...(expands
      ? [
          [
            'cost',
            `${expands.rows} ${escapeHtml(expands.what)} per input (fewer: <code>${escapeHtml(expands.lower)}</code>)`,
          ] as [string, string],
        ]
      : []),
    [
      'random',
      v.stochastic ? 'yes: its noise is drawn for the whole batch (<code>--seed</code>)' : 'no',
    ],
    ['used by', '<code>deepvis evaluate</code>, the live toolbox and the library'],
  ];
}

function pictureHtml(p: MethodPage): string {
  if (p.skipped)
    return '<p>No picture in this build: it was built with <code>--only</code> other methods.</p>';
  if (!p.picture || !p.example) {
    return `<p>No picture: none of the docs' models can run it (${escapeHtml(p.method.value.name)} needs a model of another kind).</p>`;
  }
  const { json, files } = p.picture;
  const about = escapeHtml(p.example.model.about);
  let caption: string;
  if (p.method.kind === 'feature-visualization') {
    type Unit = {
      unit: number;
      activation: number;
      quality?: { relativeActivation: number; plausibility: number } | null;
    };
    const units = (json.units as Unit[]) ?? [];
    const scores = units.map((u) => {
      const q = u.quality
        ? `, r ${fmt(u.quality.relativeActivation)}, p ${fmt(u.quality.plausibility)}`
        : '';
      return `${u.unit}: ${fmt(u.activation)}${q}`;
    });
    caption = `The class logits of digits ${UNITS.join(', ')} of ${about}. Activation reached (and its <a href="${rel(p.at, 'feature-visualization.html')}#how-good-is-a-picture">quality scores</a>): ${scores.join('; ')}; ${fmt(json.seconds)} s.`;
  } else {
    const map = (
      json.maps as Array<{
        units: number[];
        scores: number[];
        seconds: number;
        camLayer: string | null;
      }>
    )[0];
    caption = `Four test digits and the map of each one's top class, on ${about}. Classes explained (score): ${map.units.map((u, i) => `${u} (${fmt(map.scores[i])})`).join(', ')}${map.camLayer ? `; layer ${escapeHtml(map.camLayer)}` : ''}; ${fmt(map.seconds)} s.`;
  }
  const extras = files
    .slice(1)
    .map(
      (f) =>
        `<figure><img class="pixels" src="${rel(p.at, f)}" alt="${escapeHtml(f)}"><figcaption>${escapeHtml(f.split('/').pop()!)}: an extra figure of the same run.</figcaption></figure>`,
    );
  const [w] = p.picture.size;
  return `<figure><img class="pixels" src="${rel(p.at, files[0])}" alt="${escapeHtml(p.method.value.title)}" width="${Math.min(2 * w, 720)}"><figcaption>${caption} Made by the command below.</figcaption></figure>${extras.join('')}`;
}

/** The body of a method's page. */
export function methodBody(p: MethodPage, refs: ReadonlySet<string>): string {
  const v = p.method.value;
  const fam = FAMILY[p.method.kind];
  const facts =
    p.method.kind === 'feature-visualization'
      ? featureVisFacts(p.method.value, p.example)
      : attributionFacts(p.method.value);
  const defaults =
    p.method.kind === 'feature-visualization'
      ? `<p>${escapeHtml(p.method.value.defaults)}. Shared flags (<code>--steps</code>, <code>--lr</code>, <code>--units</code>, <code>--neuron</code>): <a href="${rel(p.at, 'cli.html')}">the command line</a>.</p>`
      : `<p>Shared flags (the target: <code>--layer</code>, <code>--units</code>, <code>--neuron</code>; <code>--cam-layer</code>, <code>--max-batch</code>, <code>--seed</code>): <a href="${rel(p.at, 'cli.html')}">the command line</a>.</p>`;
  return [
    `<p><a href="${rel(p.at, fam.page)}">${fam.title}</a></p>`,
    `<h1>${escapeHtml(v.title)} <small><code>${escapeHtml(v.name)}</code></small></h1>`,
    `<p class="lede">${inline(v.idea ?? lineOf(p.method))}</p>`,
    `<dl class="facts"><dt>paper</dt><dd>${paperHtml(v.paper, p.at, refs)}</dd><dt>in a line</dt><dd>${escapeHtml(lineOf(p.method))}</dd>${facts.map(([k, x]) => `<dt>${k}</dt><dd>${x}</dd>`).join('')}</dl>`,
    '<h2 id="picture">Picture</h2>',
    pictureHtml(p),
    '<h2 id="defaults">Defaults and options</h2>',
    defaults,
    optionsTable(v.options),
    ...(p.example
      ? [
          '<h2 id="cli">Command line</h2>',
          `<pre><code>${escapeHtml(cliText(p.example))}</code></pre>`,
          `<p>Every option: <code>deepvis ${p.method.kind === 'feature-visualization' ? 'maximize' : 'attribute'} --method ${escapeHtml(v.name)} --help</code>.</p>`,
          '<h2 id="library">Library</h2>',
          `<pre><code>${escapeHtml(p.example.library)}</code></pre>`,
          `<p>The functions: <a href="${rel(p.at, 'api/index.html')}">API reference</a>.</p>`,
        ]
      : []),
  ].join('\n');
}

/** The table of a family's methods (an overview page's `<!-- deepvis:methods KIND -->`). */
export function methodTable(
  pages: readonly MethodPage[],
  at: string,
  refs: ReadonlySet<string>,
): string {
  const rows = pages.map((p) => {
    const v = p.method.value;
    const thumb = p.picture
      ? `<img src="${rel(at, p.picture.files[0])}" alt="${escapeHtml(v.title)}">`
      : '';
    return `<tr><td class="thumb">${thumb}</td><td><a href="${rel(at, p.at)}">${escapeHtml(v.title)}</a><br><code>${escapeHtml(v.name)}</code></td><td>${paperHtml(v.paper, at, refs)}</td><td>${escapeHtml(lineOf(p.method))}</td></tr>`;
  });
  return `<table class="methods"><thead><tr><th></th><th>method</th><th>paper</th><th>what it does</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
