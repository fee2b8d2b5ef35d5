/**
 * Markdown pages (markdown-it) as the site shows them: links between sources (`onnx.md#layout`)
 * become links between pages (`onnx.html#layout`), headings get ids from their text, tables and
 * code keep their markdown-it form. The same sources read as they are in the repository.
 */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: true, linkify: false, typographer: false });

/** A heading's id: its text, lower case, runs of other characters as one hyphen. */
export const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '');

md.core.ruler.push('heading_ids', (state) => {
  const seen = new Map<string, number>();
  state.tokens.forEach((t, i) => {
    if (t.type !== 'heading_open') return;
    const base = slug(state.tokens[i + 1].content);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    t.attrSet('id', n === 0 ? base : `${base}-${n}`);
  });
});

/** `page.md` and `page.md#part` → `page.html…`, for relative links between sources. */
export const pageLink = (href: string): string =>
  /^[a-z]+:/i.test(href) || href.startsWith('/') ? href : href.replace(/\.md(#|$)/, '.html$1');

const defaultLink = md.renderer.rules.link_open;
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  const href = tokens[i].attrGet('href');
  if (href != null) tokens[i].attrSet('href', pageLink(href));
  return defaultLink
    ? defaultLink(tokens, i, options, env, self)
    : self.renderToken(tokens, i, options);
};

export interface RenderedPage {
  readonly title: string;
  readonly html: string;
}

/** A page's HTML body and its title (its first heading). */
export function renderMarkdown(text: string, source: string): RenderedPage {
  const title = /^#\s+(.+)$/m.exec(text)?.[1].trim();
  if (!title) throw new Error(`${source}: a page starts with a '# title' line`);
  return { title: title.replace(/`/g, ''), html: md.render(text) };
}

/** Inline markdown (a sentence with `code`), as HTML. */
export const inline = (text: string): string => md.renderInline(text);

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
