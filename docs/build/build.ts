/**
 * `npm run docs [-- --out DIR] [-- --only NAME,…]`: the docs site, built into docs/site (not
 * committed). The markdown sources of docs/ become pages (nav.ts orders them); every method of the
 * two registries gets a page of its own (methods.ts) with a picture made by running it on a small
 * trained model (pictures.ts, cached in docs/.cache); TypeDoc writes the API reference from the
 * library's TSDoc comments (api.ts). A site with a broken or outside link is refused (links.ts).
 * `--only` builds pictures of those methods alone and skips the API reference (the tests' quick
 * build; `--api` keeps it); the site says so where they are missing.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATTRIBUTIONS } from '../../src/attribution/registry.js';
import { initEngine } from '../../src/engine/backend.js';
import { loadModel } from '../../src/io/model_files.js';
import { FEATURE_VIS } from '../../src/methods/registry.js';
import { startApi } from './api.js';
import { DOCS_MODELS, type DocsModel, exampleOf, type Method, modelFor } from './examples.js';
import { CSS, type NavItem, type NavSection, pageHtml } from './layout.js';
import { checkSite } from './links.js';
import { escapeHtml, renderMarkdown, slug } from './markdown.js';
import { methodBody, type MethodPage, methodTable, pageOf, pictureBase } from './methods.js';
import { SECTIONS } from './nav.js';
import { codeHash, pictureOf } from './pictures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const docs = path.join(root, 'docs');
/** Folders of docs/ that are not sources. */
const NOT_SOURCES = new Set(['site', 'build', '.cache']);

function argsOf(argv: string[]): { out: string; only: Set<string> | null; api: boolean } {
  let out = path.join(docs, 'site');
  let only: Set<string> | null = null;
  let api = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = path.resolve(argv[++i] ?? '');
    else if (argv[i] === '--only') only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (argv[i] === '--api') api = true;
    else
      throw new Error(
        `npm run docs: unknown argument '${argv[i]}' (--out DIR, --only NAME,…, --api)`,
      );
  }
  return { out, only, api: api || !only };
}

/** Every file of docs/ that is a source or an asset, relative to docs/. */
function sources(): string[] {
  const walk = (rel: string): string[] =>
    readdirSync(path.join(docs, rel), { withFileTypes: true }).flatMap((e) => {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) return rel === '' && NOT_SOURCES.has(e.name) ? [] : walk(p);
      return [p];
    });
  return walk('').sort();
}

/** `- **Author et al. 2009** …` lines of the references page get an anchor each. */
const anchorReferences = (text: string): string =>
  text.replace(
    /^- \*\*(.+?)\*\*/gm,
    (_, key: string) => `- <span id="${slug(key)}"></span>**${key}**`,
  );

async function main(): Promise<void> {
  const started = performance.now();
  const { out, only, api: withApi } = argsOf(process.argv.slice(2));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const api = withApi ? startApi(root, path.join(out, 'api')) : null;
  // Settled later: a TypeDoc failure must not go unhandled while the pictures run.
  api?.catch(() => {});

  await initEngine();
  const models: DocsModel[] = [];
  for (const m of DOCS_MODELS)
    models.push({ ...m, model: await loadModel(path.join(root, m.path)) });

  const methods: Method[] = [
    ...FEATURE_VIS.map((value) => ({ kind: 'feature-visualization', value }) as const),
    ...ATTRIBUTIONS.map((value) => ({ kind: 'attribution', value }) as const),
  ];
  const unknown = [...(only ?? [])].filter((n) => !methods.some((m) => m.value.name === n));
  if (unknown.length) throw new Error(`--only: no method named ${unknown.join(', ')}`);
  const cache = path.join(docs, '.cache/pictures');
  const code = codeHash(
    root,
    DOCS_MODELS.map((m) => m.path),
  );
  const pages: MethodPage[] = [];
  let ran = 0;
  for (const method of methods) {
    const model = modelFor(method, models);
    const example = model ? exampleOf(method, model) : null;
    const wanted = !only || only.has(method.value.name);
    const dest = pictureBase(method);
    const picture =
      example && wanted ? await pictureOf(example, { site: out, dest, cache, code }) : null;
    if (picture?.seconds) {
      ran++;
      console.log(
        `  picture of ${method.value.name}: ${picture.seconds.toFixed(1)} s (${picture.cpu.toFixed(1)} s CPU)`,
      );
    }
    pages.push({ method, at: pageOf(method), example, picture, skipped: !wanted });
  }
  for (const m of models) m.model.dispose();

  // The markdown sources, rendered; the references page's anchors known before the method pages.
  const files = sources();
  const md = files.filter((f) => f.endsWith('.md'));
  const listed = SECTIONS.flatMap((s) => [
    ...s.pages,
    ...(s.folder ? md.filter((f) => f.startsWith(`${s.folder}/`) && !s.pages.includes(f)) : []),
  ]);
  const missing = listed.filter((f) => !md.includes(f));
  const orphans = md.filter((f) => !listed.includes(f));
  if (missing.length || orphans.length) {
    throw new Error(
      `docs/build/nav.ts: ${[...missing.map((f) => `${f} is listed but missing`), ...orphans.map((f) => `${f} is not listed`)].join('; ')}`,
    );
  }
  const refsText = readFileSync(path.join(docs, 'references.md'), 'utf8');
  const refs = new Set([...refsText.matchAll(/^- \*\*(.+?)\*\*/gm)].map((m) => slug(m[1])));
  const rendered = new Map(
    md.map((f) => {
      let text = readFileSync(path.join(docs, f), 'utf8');
      if (f === 'references.md') text = anchorReferences(text);
      const at = f.replace(/\.md$/, '.html');
      text = text.replace(/^<!-- deepvis:methods ([a-z-]+) -->$/gm, (_, kind: string) => {
        const family = pages.filter((p) => p.method.kind === kind);
        if (family.length === 0) throw new Error(`${f}: no method family '${kind}'`);
        return methodTable(family, at, refs);
      });
      return [f, { at, ...renderMarkdown(text, `docs/${f}`) }] as const;
    }),
  );

  const nav: NavSection[] = SECTIONS.map((s) => {
    const items: NavItem[] = [
      ...s.pages,
      ...(s.folder ? md.filter((f) => f.startsWith(`${s.folder}/`) && !s.pages.includes(f)) : []),
    ].map((f, i) => ({
      title: rendered.get(f)!.title,
      href: rendered.get(f)!.at,
      children:
        i === 0 && s.methods
          ? pages
              .filter((p) => p.method.kind === s.methods)
              .map((p) => ({ title: p.method.value.title, href: p.at }))
          : undefined,
    }));
    return {
      title: s.title,
      items: s.api ? [...items, { title: 'API reference', href: 'api/index.html' }] : items,
    };
  });

  const write = (at: string, html: string) => {
    mkdirSync(path.dirname(path.join(out, at)), { recursive: true });
    writeFileSync(path.join(out, at), html);
  };
  for (const f of files.filter((x) => !x.endsWith('.md'))) {
    mkdirSync(path.dirname(path.join(out, f)), { recursive: true });
    cpSync(path.join(docs, f), path.join(out, f));
  }
  write('assets/docs.css', CSS);
  for (const p of rendered.values()) write(p.at, pageHtml(p.at, p.title, p.html, nav));
  for (const p of pages)
    write(p.at, pageHtml(p.at, p.method.value.title, methodBody(p, refs), nav));
  if (api) await api;
  else {
    const note = `<h1>API reference</h1><p>This site was built with <code>--only ${escapeHtml([...only!].join(','))}</code>, which skips the API reference; <code>npm run docs</code> builds it.</p>`;
    write('api/index.html', pageHtml('api/index.html', 'API reference', note, nav));
  }

  const problems = checkSite(out);
  if (problems.length) throw new Error(`broken links:\n${problems.join('\n')}`);
  const count = (d: string): number =>
    readdirSync(d, { withFileTypes: true }).reduce(
      (n, e) =>
        n + (e.isDirectory() ? count(path.join(d, e.name)) : e.name.endsWith('.html') ? 1 : 0),
      0,
    );
  const apiPages = existsSync(path.join(out, 'api')) ? count(path.join(out, 'api')) : 0;
  const noIdea = pages.filter((p) => !p.method.value.idea).map((p) => p.method.value.name);
  if (noIdea.length)
    console.log(
      `  no idea (two sentences) yet, the page shows its one-line summary: ${noIdea.join(', ')}`,
    );
  console.log(
    `docs: ${rendered.size} pages from docs/, ${pages.length} method pages (${pages.filter((p) => p.picture).length} pictures, ${ran} made now), ${apiPages} API pages in ${path.relative(process.cwd(), out) || '.'} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`npm run docs: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
