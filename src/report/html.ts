/**
 * Page (site.ts) → HTML: one self-contained document per page that works from file:// (no server,
 * no network, no module scripts): a shared stylesheet and script at the site's root, headings,
 * alt text on every image, images upscaled with `image-rendering: pixelated`, tiles of one size,
 * a layout that reflows from 1280 px down to 400 px. Keyboard: ←/→ previous/next unit, j/k
 * next/previous layer (links marked data-nav); the layer page sorts and filters its tiles.
 */
import { relativeHref, type Figure, type Link, type Page, type Section } from './site.js';

const esc = (s: string | number): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const isLink = (v: unknown): v is Link => typeof v === 'object' && v !== null && 'href' in v;

/** `<a href>` around `inner` when the link is one a page may carry (site.ts safeHref); else `inner` alone. */
function anchor(page: string, href: string, inner: string, attrs = ''): string {
  const to = relativeHref(page, href);
  return to == null ? inner : `<a href="${esc(to)}"${attrs}>${inner}</a>`;
}

/** An image source: a relative path or http(s) only. */
const imgSrc = (page: string, src: string) => relativeHref(page, src) ?? '';

function numbers(n: Figure['numbers']): string {
  if (!n || Object.keys(n).length === 0) return '';
  return `<dl class="nums">${Object.entries(n)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>`;
}

function figure(page: string, f: Figure, extra = ''): string {
  const img = `<img src="${esc(imgSrc(page, f.src))}" alt="${esc(f.alt)}">`;
  const body = f.href ? anchor(page, f.href, img) : img;
  return `<figure${extra}>${body}${f.caption ? `<figcaption>${esc(f.caption)}</figcaption>` : ''}${numbers(f.numbers)}</figure>`;
}

function cell(page: string, v: string | number | Link): string {
  return isLink(v) ? anchor(page, String(v.href), esc(v.text)) : esc(v as string | number);
}

function section(page: string, s: Section): string {
  const id = s.id ? ` id="${esc(s.id)}"` : '';
  const h = `<h2>${esc(s.title)}</h2>`;
  switch (s.kind) {
    case 'figures':
      return `<section${id}>${h}${s.note ? `<p>${esc(s.note)}</p>` : ''}<div class="figs ${s.size ?? 'small'}">${s.figures.map((f) => figure(page, f)).join('')}</div>${s.json ? `<p class="json">${anchor(page, s.json, 'numbers (JSON)')}</p>` : ''}</section>`;
    case 'table':
      return `<section${id}>${h}<div class="scroll"><table><thead><tr>${s.head.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr></thead><tbody>${s.rows.map((r) => `<tr>${r.map((c) => `<td>${cell(page, c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div></section>`;
    case 'facts':
      return `<section${id}>${h}<dl class="facts">${s.items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${cell(page, v)}</dd>`).join('')}</dl></section>`;
    case 'tiles':
      return `<section${id}>${h}<div class="controls"><label>sort by <select id="sort"><option value="unit">unit</option><option value="activation">activation (max over data)</option><option value="specificity">specificity</option></select></label> <label>show <select id="filter"><option value="all">all units</option><option value="alive">alive</option><option value="dead">dead</option><option value="unimodal">unimodal</option><option value="bimodal">bimodal</option><option value="non-specific">non-specific</option></select></label> <span id="shown"></span></div><div class="figs tiles" id="tiles">${s.tiles.map((t) => figure(page, t, ` class="tile" data-unit="${t.unit}" data-activation="${t.activation}" data-specificity="${t.specificity}" data-modality="${esc(t.modality)}" data-dead="${t.dead}"`)).join('')}</div></section>`;
    case 'rows':
      return `<section${id}>${h}${s.note ? `<p>${esc(s.note)}</p>` : ''}${s.rows.map((r) => `<div class="row"><h3>${esc(r.label)}</h3>${numbers(r.numbers)}<div class="figs small">${r.figures.map((f) => figure(page, f)).join('')}</div></div>`).join('')}</section>`;
  }
}

function navLink(page: string, l: Link | undefined, rel: string, key: string): string {
  return l ? anchor(page, l.href, esc(l.text), ` data-nav="${rel}" title="${key}"`) : '';
}

/** The footer's key help: only the keys this page's pager binds. */
function keysOf(nav: Page['nav']): string {
  const keys = [
    nav.prev || nav.next ? '← → previous / next unit' : '',
    nav.prevLayer || nav.nextLayer ? 'j / k next / previous layer' : '',
  ];
  return keys.filter(Boolean).join(', ');
}

export function pageHtml(p: Page): string {
  const crumbs = p.crumbs.map((c) => anchor(p.path, c.href, esc(c.text))).join(' › ');
  const nav = [
    navLink(p.path, p.nav.prevLayer, 'prev-layer', 'k'),
    navLink(p.path, p.nav.prev, 'prev', '←'),
    navLink(p.path, p.nav.next, 'next', '→'),
    navLink(p.path, p.nav.nextLayer, 'next-layer', 'j'),
  ]
    .filter(Boolean)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title><link rel="stylesheet" href="${esc(relativeHref(p.path, 'site.css')!)}"></head>
<body><header><nav class="crumbs" aria-label="breadcrumbs">${crumbs}</nav><h1>${esc(p.title)}</h1>${nav ? `<nav class="pager" aria-label="previous and next">${nav}</nav>` : ''}</header>
<main>${p.sections.map((s) => section(p.path, s)).join('\n')}${p.json ? `<p class="json">${anchor(p.path, p.json, 'all numbers of this page (JSON)')}</p>` : ''}</main>
<footer><p>${nav ? `Keys: ${keysOf(p.nav)}. ` : ''}Made by deepvis.</p></footer>
<script src="${esc(relativeHref(p.path, 'site.js')!)}"></script></body></html>
`;
}

export const SITE_CSS = `*{box-sizing:border-box}body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1240px;padding:8px 16px;color:#222;background:#fafafa}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.4em}h3{font-size:1em;margin:.4em 0}
a{color:#0645ad}.crumbs{font-size:.9em}.pager a{display:inline-block;margin-right:1em;padding:2px 6px;border:1px solid #bbb;border-radius:4px;text-decoration:none}
img{image-rendering:pixelated;image-rendering:crisp-edges;display:block;width:100%;height:auto;background:#000}
.figs{display:grid;gap:8px;grid-template-columns:repeat(auto-fill,minmax(96px,1fr))}.figs.large{grid-template-columns:repeat(auto-fill,minmax(320px,1fr))}
.figs.tiles{grid-template-columns:repeat(auto-fill,minmax(80px,1fr))}figure{margin:0;font-size:.75em}figcaption{font-weight:600}
.large img{background:#fff;image-rendering:auto}
.figs.full{grid-template-columns:1fr}.full img{width:auto;max-width:100%;background:#fff}.full figcaption{font-size:1.2em}.figs.wide{grid-template-columns:repeat(auto-fill,minmax(300px,1fr))}.wide figure{display:grid;grid-template-columns:128px 1fr;gap:2px 10px;align-items:start}.wide figure>a,.wide figure>img{grid-row:span 2}
dl.nums{margin:0;display:grid;grid-template-columns:auto 1fr;column-gap:4px}dl.nums dt{color:#666}dl.nums dd{margin:0;overflow-wrap:anywhere}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dl.facts dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}
.row{border-top:1px solid #eee;padding:4px 0}.controls{margin:4px 0 8px}.tile.hidden{display:none}
@media (max-width:500px){body{padding:4px 8px}.figs{grid-template-columns:repeat(auto-fill,minmax(72px,1fr))}.figs.large{grid-template-columns:1fr}}
`;

/** Keyboard navigation and the layer page's sorting/filtering; plain script, works from file://. */
export const SITE_JS = `(function(){
document.addEventListener('keydown',function(e){
  if(e.altKey||e.ctrlKey||e.metaKey||/^(INPUT|SELECT|TEXTAREA)$/.test((e.target&&e.target.tagName)||''))return;
  var map={ArrowLeft:'prev',ArrowRight:'next',j:'next-layer',k:'prev-layer'};var rel=map[e.key];if(!rel)return;
  var a=document.querySelector('a[data-nav="'+rel+'"]');if(a){e.preventDefault();location.href=a.href;}
});
var box=document.getElementById('tiles');if(!box)return;
var sort=document.getElementById('sort'),filter=document.getElementById('filter'),shown=document.getElementById('shown');
function apply(){var tiles=Array.prototype.slice.call(box.children);var key=sort.value,f=filter.value,n=0;
  tiles.sort(function(a,b){return key==='unit'?(+a.dataset.unit)-(+b.dataset.unit):(+b.dataset[key])-(+a.dataset[key]);});
  tiles.forEach(function(t){var ok=f==='all'||(f==='dead'&&t.dataset.dead==='true')||(f==='alive'&&t.dataset.dead!=='true')||t.dataset.modality===f;
    t.classList.toggle('hidden',!ok);if(ok)n++;box.appendChild(t);});shown.textContent=n+' of '+tiles.length+' units';}
sort.addEventListener('change',apply);filter.addEventListener('change',apply);apply();
})();
`;
