/**
 * What the atlas puts in a page: links only of http(s), relative or fragment form (a javascript:,
 * data: or vbscript: link, however spelled, is text, not a link), and an `--evaluation` folder read
 * through the fence (a linked or FIFO plot or evaluate.json is refused; notes must be text).
 */
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readEvaluation } from '../../src/report/evaluation.js';
import { pageHtml } from '../../src/report/html.js';
import { urlScheme, type Page, type Section } from '../../src/report/site.js';
import { fresh, mkfifo, refuses, victim, type Case } from './kit.js';

const HOSTILE_HREFS = [
  'javascript:alert(document.cookie)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  '\tjavascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'java\rscript:alert(1)',
  '\u0001javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'blob:http://x/1',
  'jar:file:///x!/',
  'view-source:http://x/',
];

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Every href and src in `html` is http(s), relative or a fragment. */
function onlySafeLinks(html: string): void {
  for (const m of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
    const scheme = urlScheme(unescape(m[2]));
    assert.ok(
      scheme == null || scheme === 'http' || scheme === 'https',
      `${m[1]}="${m[2]}" reached the page`,
    );
  }
}

const page = (sections: Section[], extra: Partial<Page> = {}): Page => ({
  path: 'index.html',
  title: 'Model',
  crumbs: [],
  nav: {},
  sections,
  ...extra,
});

const facts = (href: string): Section => ({
  kind: 'facts',
  title: 'Best method per metric',
  items: [['note', { text: 'see this', href }]],
});

async function evalDir(name: string, notes: unknown[] = []): Promise<string> {
  const dir = fresh(name);
  writeFileSync(
    path.join(dir, 'evaluate.json'),
    JSON.stringify({
      methods: ['saliency'],
      metrics: ['deletion'],
      higherIsBetter: { deletion: false },
      table: { saliency: { deletion: { mean: 0.1, ci95: 0.01, best: true } } },
      units: [0],
      notes,
    }),
  );
  return dir;
}

export const PAGE_CASES: Case[] = [
  ...HOSTILE_HREFS.map((href): Case => ({
    surface: 'xss',
    name: `a note link ${JSON.stringify(href)} is not a link on the page (severe 4)`,
    run: () => {
      const html = pageHtml(page([facts(href)]));
      onlySafeLinks(html);
      assert.match(html, /see this/, 'the text stays');
    },
  })),
  {
    surface: 'xss',
    name: 'a javascript: figure link, crumb, pager link, table cell and image source are all inert',
    run: () => {
      const bad = 'javascript:alert(1)';
      const html = pageHtml(
        page(
          [
            { kind: 'figures', title: 'f', figures: [{ src: bad, alt: 'a', href: bad }] },
            { kind: 'table', title: 't', head: ['m'], rows: [[{ text: 'cell', href: bad }]] },
          ],
          {
            path: 'units/x/1.html',
            crumbs: [{ text: 'home', href: bad }],
            nav: { next: { text: 'next', href: bad } },
          },
        ),
      );
      onlySafeLinks(html);
    },
  },
  {
    surface: 'xss',
    name: 'evaluate.json whose notes hold a link object is refused in one line',
    run: async () => {
      const dir = await evalDir('eval-notes', [
        { text: 'x', href: 'javascript:alert(document.cookie)' },
      ]);
      await refuses(readEvaluation(dir), /evaluate\.json: 'notes' must be a list of strings/);
    },
  },
  {
    surface: 'evaluation',
    name: 'a plot linked to a secret is refused, not copied into the site (severe 3)',
    run: async () => {
      const v = victim();
      const dir = await evalDir('eval-link');
      symlinkSync(v.secret, path.join(dir, 'evaluate-mprt.png'));
      await refuses(readEvaluation(dir), /evaluate-mprt\.png is a symbolic link; refused/);
    },
  },
  {
    surface: 'evaluation',
    name: 'a plot that is a FIFO is refused at once',
    run: async () => {
      const dir = await evalDir('eval-fifo');
      const f = mkfifo(path.join(dir, 'evaluate-deletion-insertion.png'));
      await refuses(readEvaluation(dir), /is a FIFO \(named pipe\); refused/, 5000, [f]);
    },
  },
  {
    surface: 'evaluation',
    name: 'evaluate.json linked to an outside file is refused',
    run: async () => {
      const v = victim();
      const real = await evalDir('eval-real');
      writeFileSync(
        path.join(v.dir, 'sub', 'evaluate.json'),
        JSON.stringify({ methods: [], metrics: [], table: {}, units: [] }),
      );
      const dir = fresh('eval-jsonlink');
      symlinkSync(path.join(real, 'evaluate.json'), path.join(dir, 'evaluate.json'));
      await refuses(readEvaluation(dir), /evaluate\.json is a symbolic link; refused/);
    },
  },
  {
    surface: 'evaluation',
    name: 'evaluate.json that is a FIFO is refused at once',
    run: async () => {
      const dir = fresh('eval-jsonfifo');
      const f = mkfifo(path.join(dir, 'evaluate.json'));
      await refuses(readEvaluation(dir), /evaluate\.json is a FIFO \(named pipe\); refused/, 5000, [
        f,
      ]);
    },
  },
];
