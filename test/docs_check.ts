/**
 * The docs check, shared by test/docs.test.ts (the real site) and test/add_method.test.ts (a copy
 * of the tree with toy methods): the site is built (`npm run docs`), then every page is opened in
 * headless Chromium, and each failed request, image that did not load, script error and link that
 * does not resolve to a file (and anchor) of the site is a problem. Also: every method of the
 * registries has its page, listed on its family's overview page.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { brokenRef, htmlFiles } from '../docs/build/links.js';
import { launchChromium, serveFiles } from './chromium.js';

/**
 * Builds the site of the tree at `root` into `out`; `only` names the methods given pictures (the
 * API reference then only with `api`).
 */
export function buildDocs(root: string, out: string, only?: readonly string[], api = false) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'),
  );
  const args = ['--import', 'tsx', 'docs/build/build.ts', '--out', out];
  if (only) args.push('--only', only.join(','));
  if (only && api) args.push('--api');
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env });
  return { ...r, seconds: (performance.now() - started) / 1000 };
}

/** Every page of `site` opened in Chromium; the problems found, as `page: what`. */
export async function checkInChromium(
  site: string,
): Promise<{ pages: number; problems: string[] }> {
  const pages = htmlFiles(site);
  const { server, base } = await serveFiles((p) => {
    const f = path.join(site, p);
    return f.startsWith(site + path.sep) && existsSync(f) && statSync(f).isFile() ? f : null;
  });
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const tab = await browser.newPage();
    let current = '';
    tab.on('requestfailed', (r) => problems.push(`${current}: ${r.url()} failed`));
    tab.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${current}: ${r.url()} answered ${r.status()}`);
    });
    tab.on('pageerror', (e) => problems.push(`${current}: ${e.message}`));
    for (const page of pages) {
      current = page;
      const url = `${base}/${page.split('/').map(encodeURIComponent).join('/')}`;
      const res = await tab.goto(url, { waitUntil: 'load' });
      if (!res?.ok()) problems.push(`${page}: did not open (${res?.status()})`);
      const found = await tab.evaluate(() => ({
        images: [...document.images]
          .filter((i) => !i.complete || i.naturalWidth === 0)
          .map((i) => i.getAttribute('src')),
        links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? ''),
      }));
      for (const src of found.images) problems.push(`${page}: image ${src} did not load`);
      for (const href of new Set(found.links)) {
        const why = href === '' ? null : brokenRef(site, page, href);
        if (why) problems.push(`${page}: link ${href} (${why})`);
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  return { pages: pages.length, problems };
}

/** Methods (kind and name) without their page, picture or CLI example, or missing from their family's table. */
export function missingMethodPages(
  site: string,
  methods: ReadonlyArray<{ kind: string; name: string; picture: boolean }>,
): string[] {
  return methods.flatMap(({ kind, name, picture }) => {
    const file = path.join(site, kind, `${name}.html`);
    if (!existsSync(file)) return [`${kind}/${name}.html is missing`];
    const html = readFileSync(file, 'utf8');
    const why = [
      ...(html.includes(`<code>${name}</code>`) ? [] : ['its name']),
      ...(!picture || html.includes(`src="../img/${kind}/${name}.png"`) ? [] : ['its picture']),
      ...(html.includes(`npx deepvis `) ? [] : ['its CLI example']),
      ...(readFileSync(path.join(site, `${kind}.html`), 'utf8').includes(
        `href="${kind}/${name}.html"`,
      )
        ? []
        : [`a row in ${kind}.html`]),
    ];
    return why.length ? [`${kind}/${name}.html lacks ${why.join(', ')}`] : [];
  });
}

/** The text of a page's `<pre><code>` block after the heading with id `id`, unescaped. */
export function codeAfter(html: string, id: string): string {
  const at = html.indexOf(`id="${id}"`);
  const m = /<pre><code[^>]*>([^]*?)<\/code><\/pre>/.exec(html.slice(at));
  if (at < 0 || !m) throw new Error(`no code block after #${id}`);
  return m[1]
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
