/**
 * The page shell: a side navigation (the sections of nav.ts, each method's page listed under its
 * family) and the page's body. Every link is relative, so the site opens from a folder as well as
 * from a server.
 */
import { escapeHtml } from './markdown.js';

export interface NavItem {
  readonly title: string;
  /** Site-relative path of the page. */
  readonly href: string;
  readonly children?: readonly NavItem[];
}

export interface NavSection {
  readonly title: string;
  readonly items: readonly NavItem[];
}

/** The relative path from page `from` to site path `to` (both site-relative). */
export function rel(from: string, to: string): string {
  const depth = from.split('/').length - 1;
  return `${'../'.repeat(depth)}${to}`;
}

function navHtml(nav: readonly NavSection[], current: string): string {
  const item = (i: NavItem): string => {
    const here = i.href === current ? ' aria-current="page"' : '';
    const kids = i.children?.length
      ? `<ul>${i.children.map((c) => `<li>${item(c)}</li>`).join('')}</ul>`
      : '';
    return `<a href="${rel(current, i.href)}"${here}>${escapeHtml(i.title)}</a>${kids}`;
  };
  return nav
    .map(
      (s) =>
        `<h2>${escapeHtml(s.title)}</h2><ul>${s.items.map((i) => `<li>${item(i)}</li>`).join('')}</ul>`,
    )
    .join('\n');
}

/** A whole page: `body` (HTML) inside the shell, for the site path `at`. */
export function pageHtml(
  at: string,
  title: string,
  body: string,
  nav: readonly NavSection[],
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · deepvis</title>
<link rel="stylesheet" href="${rel(at, 'assets/docs.css')}">
</head>
<body>
<nav class="side">
<a class="brand" href="${rel(at, 'index.html')}">deepvis</a>
${navHtml(nav, at)}
</nav>
<main>
${body}
<footer>Built by <code>npm run docs</code> from <code>docs/</code> and the method registries.</footer>
</main>
</body>
</html>
`;
}

export const CSS = `
:root { --ink: #1d232b; --muted: #5b6570; --line: #dde2e8; --accent: #1f5fae; --code: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; display: flex; font: 16px/1.55 system-ui, sans-serif; color: var(--ink); }
nav.side { width: 17rem; flex: none; height: 100vh; position: sticky; top: 0; overflow-y: auto;
  padding: 1rem 1.2rem 3rem; border-right: 1px solid var(--line); background: #fafbfc; font-size: 14px; }
nav.side .brand { font-weight: 700; font-size: 20px; color: var(--ink); text-decoration: none; }
nav.side h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 1.2rem 0 .3rem; }
nav.side ul { list-style: none; margin: 0; padding: 0; }
nav.side ul ul { padding-left: .9rem; }
nav.side a { color: var(--ink); text-decoration: none; display: inline-block; padding: 1px 0; }
nav.side a[aria-current] { color: var(--accent); font-weight: 600; }
main { max-width: 60rem; padding: 1.5rem 2.5rem 4rem; min-width: 0; }
h1 { font-size: 2rem; margin: .3rem 0 1rem; }
h1 small { font-size: 1rem; color: var(--muted); font-weight: 400; }
h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
a { color: var(--accent); }
code { background: var(--code); padding: 0 .25em; border-radius: 3px; font-size: .92em; }
pre { background: var(--code); padding: .8rem 1rem; overflow-x: auto; border-radius: 4px; line-height: 1.4; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1rem 0; display: block; overflow-x: auto; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; vertical-align: top; text-align: left; }
th { background: #f3f5f7; }
img { max-width: 100%; }
img.pixels { image-rendering: pixelated; }
figure { margin: 1rem 0; }
figcaption { color: var(--muted); font-size: 14px; }
.lede { font-size: 1.15rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
td.thumb img { width: 96px; image-rendering: pixelated; }
footer { margin-top: 3rem; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line);
  padding-top: .6rem; }
`;
