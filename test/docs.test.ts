/**
 * The docs (issue 25, item 3): `npm run docs` builds the site from docs/ and the registries, every
 * page opens in headless Chromium with no broken link or image, every registered method has its
 * page with its picture, the pages' library examples and the README's run as written, the README
 * keeps to its shape, and no link in the repository points outside it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ATTRIBUTIONS } from '../src/attribution/registry.js';
import { FEATURE_VIS } from '../src/methods/registry.js';
import { buildDocs, checkInChromium, codeAfter, missingMethodPages } from './docs_check.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tracked = (...args: string[]) =>
  spawnSync('git', ['ls-files', ...args], { cwd: root, encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
);

/** Runs a library example as a module of this tree (`deepvis/node` is src/node.ts); its stdout. */
function runExample(code: string, dir: string, name: string): string {
  const file = path.join(dir, `${name}.mts`);
  writeFileSync(file, code.replace(/'deepvis\/node'/g, `'${path.join(root, 'src/node.ts')}'`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  return r.stdout;
}

let site: string;
let work: string;

/**
 * The methods whose pictures this build makes: one of each kind of picture (a feature
 * visualization from noise, one from an image, a gradient map, a CAM, a transformer map). Every
 * method's picture is made by `npm run docs` (about two minutes on 2 cores without its cache, too
 * long to repeat in every test run); every page, with or without its picture, is built and checked.
 */
const PICTURED = [
  FEATURE_VIS.find((m) => !m.needs?.image)!.name,
  FEATURE_VIS.find((m) => m.needs?.image)!.name,
  ATTRIBUTIONS[0].name,
  ATTRIBUTIONS.find((m) => m.layer?.kind === 'spatial')?.name,
  ATTRIBUTIONS.find((m) => m.transformer)?.name,
].filter((n): n is string => n != null);

describe('the docs site', () => {
  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'deepvis-docs-'));
    site = path.join(work, 'site');
    const r = buildDocs(root, site, PICTURED, true);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    console.log(`  npm run docs: ${r.seconds.toFixed(1)} s; ${r.stdout.trim().split('\n').pop()}`);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('every registered method has its page, listed on its family page; the built pictures are on theirs', () => {
    const methods = [
      ...FEATURE_VIS.map((m) => ({ kind: 'feature-visualization', name: m.name })),
      ...ATTRIBUTIONS.map((m) => ({ kind: 'attribution', name: m.name })),
    ].map((m) => ({ ...m, picture: PICTURED.includes(m.name) }));
    assert.deepEqual(missingMethodPages(site, methods), []);
    const unpictured = methods.find((m) => !m.picture)!;
    assert.match(
      readFileSync(path.join(site, unpictured.kind, `${unpictured.name}.html`), 'utf8'),
      /No picture in this build/,
    );
    // The page's lede is the method's idea in two sentences: every registry value has one.
    const noIdea = [...FEATURE_VIS, ...ATTRIBUTIONS].filter((m) => !m.idea).map((m) => m.name);
    assert.deepEqual(noIdea, [], 'methods without an idea');
    assert.deepEqual(
      missingMethodPages(site, [{ kind: 'attribution', name: 'planted', picture: true }]),
      ['attribution/planted.html is missing'],
    );
  });

  it('every page opens in Chromium with no broken link or image', async () => {
    const { pages, problems } = await checkInChromium(site);
    assert.deepEqual(problems, []);
    assert.ok(pages > 100, `${pages} pages (the API reference included)`);
  });

  it("the pages' library examples run as written", () => {
    // One of each form the examples take: a feature-visualization method, one that starts from an
    // image, an attribution method.
    const kinds = [
      ['feature-visualization', FEATURE_VIS.find((m) => !m.needs?.image)!.name],
      ['feature-visualization', FEATURE_VIS.find((m) => m.needs?.image)!.name],
      ['attribution', ATTRIBUTIONS[0].name],
    ];
    for (const [kind, name] of kinds) {
      const html = readFileSync(path.join(site, kind, `${name}.html`), 'utf8');
      const out = runExample(codeAfter(html, 'library'), work, `${kind}-${name}`);
      assert.match(out, /\d/, `${name}'s example printed ${out}`);
    }
  });

  it("the README's library example is the library page's, and runs", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    // The block of the README's library section (the your-own-model section has its own, run by readme_example.test.ts).
    const example =
      /```ts\n([^]*?)```/.exec(readme.slice(readme.indexOf('## The library')))?.[1] ?? '';
    const page = /```ts\n([^]*?)```/.exec(
      readFileSync(path.join(root, 'docs/library.md'), 'utf8'),
    )?.[1];
    assert.equal(example, page);
    assert.ok(example.split('\n').filter(Boolean).length <= 11, 'a 10-line example');
    runExample(example.replace(/'out\//g, `'${work}/`), work, 'readme');
  });
});

describe('the README and links', () => {
  it('the README: at most 200 lines, the two setup commands, one picture, links into docs/', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.ok(readme.split('\n').length <= 200, `${readme.split('\n').length} lines`);
    const commands = [...readme.matchAll(/^(npm [^#\n]*?)\s*(#.*)?$/gm)].map((m) => m[1]);
    assert.deepEqual(commands, ['npm ci && npm run demo', 'npm test']);
    assert.equal([...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].length, 1);
    assert.ok([...readme.matchAll(/\]\((docs\/[^)#]+)/g)].length >= 10, 'links into docs/');
  });

  it('no link in the repository points outside it', () => {
    // Markdown links and images, and HTML href/src, of every tracked document and page.
    const files = tracked('*.md', '*.html').filter((f) => !f.startsWith('bench/'));
    const outside = files.flatMap((f) => {
      const text = readFileSync(path.join(root, f), 'utf8');
      const refs = [
        ...[...text.matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]),
        ...[...text.matchAll(/\s(?:href|src)="([^"]+)"/g)].map((m) => m[1]),
        ...[...text.matchAll(/<(https?:[^>]+)>/g)].map((m) => m[1]),
      ];
      return refs
        .filter((r) => !r.startsWith('data:'))
        .filter(
          (r) =>
            /^[a-z][a-z0-9+.-]*:/i.test(r) ||
            !path.resolve(root, path.dirname(f), r.split('#')[0]).startsWith(root),
        )
        .map((r) => `${f}: ${r}`);
    });
    assert.deepEqual(outside, []);
    // The project's shared folder is beside the repository: no path into it (the bench's own is another branch's).
    const shared = tracked().filter(
      (f) => !f.startsWith('bench/') && /\.(ts|md|html|json|js|mjs)$/.test(f),
    );
    const sharedPath = ['..', 'shared', ''].join('/');
    const named = shared.filter((f) =>
      readFileSync(path.join(root, f), 'utf8').includes(sharedPath),
    );
    assert.deepEqual(named, []);
  });
});
