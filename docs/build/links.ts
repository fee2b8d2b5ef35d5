/**
 * A built site read back: every page's links and image sources, each resolved to a file of the
 * site (and an anchor of that page, for HTML targets). The build refuses a site with a broken or
 * outside link before it is written; test/docs.test.ts checks the same in Chromium.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Every HTML file of `dir`, site-relative, sorted. */
export function htmlFiles(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(path.join(d, e.name))
        : e.name.endsWith('.html')
          ? [path.relative(dir, path.join(d, e.name))]
          : [],
    );
  return walk(dir).sort();
}

const ids = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let s = ids.get(file);
  if (!s) {
    const html = readFileSync(file, 'utf8');
    s = new Set([...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1]));
    ids.set(file, s);
  }
  return s;
}

/** Where `ref` (an href or src on page `page`) points that is not a file of the site; null when it resolves. */
export function brokenRef(dir: string, page: string, ref: string): string | null {
  const r = ref.replace(/&amp;/g, '&');
  if (/^[a-z][a-z0-9+.-]*:/i.test(r)) {
    return r.startsWith('data:') ? null : 'points outside the repository';
  }
  const [file, hash] = r.split('#', 2);
  const target =
    file === ''
      ? path.join(dir, page)
      : path.resolve(path.dirname(path.join(dir, page)), decodeURIComponent(file));
  if (!target.startsWith(path.resolve(dir) + path.sep)) return 'leaves the site';
  if (!existsSync(target) || statSync(target).isDirectory()) return 'no such file';
  if (hash && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(hash)))
    return `no #${hash} there`;
  return null;
}

/** Every broken link or image of the site, as `page: ref (why)`. */
export function checkSite(dir: string): string[] {
  ids.clear();
  const problems: string[] = [];
  for (const page of htmlFiles(dir)) {
    const html = readFileSync(path.join(dir, page), 'utf8');
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const why = m[1] === '' ? null : brokenRef(dir, page, m[1]);
      if (why) problems.push(`${page}: ${m[1]} (${why})`);
    }
  }
  return problems;
}
