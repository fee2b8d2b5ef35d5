/**
 * The site model: every page of the atlas as plain data (sections of figures, tables, facts and
 * sortable tiles), with every link and image given as a path from the site's root. html.ts turns
 * a page into HTML; nothing here knows about markup, so the pages can be checked as data and the
 * web app could draw the same model.
 */

export interface Link {
  readonly text: string;
  /** Site-root-relative path ('layers/conv1.html'), or an absolute http(s) URL. */
  readonly href: string;
}

/** One picture with the numbers that go with it (shown beside it; the JSON holds them too). */
export interface Figure {
  readonly src: string;
  readonly alt: string;
  readonly caption?: string;
  readonly numbers?: Readonly<Record<string, string | number>>;
  readonly href?: string;
}

/** A unit tile on a layer page, with the values the page sorts and filters by. */
export interface Tile extends Figure {
  readonly unit: number;
  readonly activation: number;
  readonly specificity: number;
  readonly modality: string;
  readonly dead: boolean;
}

export type Section =
  | {
      readonly kind: 'figures';
      readonly id?: string;
      readonly title: string;
      readonly note?: string;
      readonly figures: readonly Figure[];
      readonly json?: string;
      readonly size?: 'small' | 'wide' | 'large' | 'full';
    }
  | {
      readonly kind: 'table';
      readonly id?: string;
      readonly title: string;
      readonly head: readonly string[];
      readonly rows: ReadonlyArray<ReadonlyArray<string | number | Link>>;
    }
  | {
      readonly kind: 'facts';
      readonly id?: string;
      readonly title: string;
      readonly items: ReadonlyArray<readonly [string, string | number | Link]>;
    }
  | {
      readonly kind: 'tiles';
      readonly id?: string;
      readonly title: string;
      readonly tiles: readonly Tile[];
    }
  | {
      readonly kind: 'rows';
      readonly id?: string;
      readonly title: string;
      readonly note?: string;
      readonly rows: ReadonlyArray<{
        readonly label: string;
        readonly numbers?: Readonly<Record<string, string | number>>;
        readonly figures: readonly Figure[];
      }>;
    };

export interface Page {
  /** Site-root-relative path of the page ('index.html', 'units/conv1/3.html'). */
  readonly path: string;
  readonly title: string;
  readonly crumbs: readonly Link[];
  /** Keyboard navigation: arrows → prev/next, j/k → next/previous layer. */
  readonly nav: {
    readonly prev?: Link;
    readonly next?: Link;
    readonly prevLayer?: Link;
    readonly nextLayer?: Link;
  };
  readonly sections: readonly Section[];
  /** The page's numbers as a JSON file next to it. */
  readonly json?: string;
}

/**
 * The scheme of a URL as a browser parses it (leading/trailing spaces and controls dropped, tabs
 * and newlines removed anywhere, case folded), or null for a relative URL or a fragment.
 */
export function urlScheme(href: string): string | null {
  // eslint-disable-next-line no-control-regex
  const s = href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(s)?.[1].toLowerCase() ?? null;
}

/** Links in generated pages may be http(s), relative or a fragment; anything else (javascript:, data:, vbscript:, file:…) is not a link. */
export const SAFE_SCHEMES: ReadonlySet<string> = new Set(['http', 'https']);
export const safeHref = (href: string): boolean => {
  const scheme = urlScheme(href);
  // eslint-disable-next-line no-control-regex -- a leading control or space character before '\\' is what browsers skip
  return scheme == null ? !/^[\u0000-\u0020]*\\/.test(href) : SAFE_SCHEMES.has(scheme);
};

/**
 * `to` relative to the folder of page `from` (both site-root-relative); absolute http(s) URLs and
 * fragments unchanged; null for a link that must not be one (another scheme).
 */
export function relativeHref(from: string, to: string): string | null {
  if (!safeHref(to)) return null;
  if (urlScheme(to) != null || to.startsWith('#') || to.startsWith('//')) return to;
  const up = from.split('/').length - 1;
  return '../'.repeat(up) + to.replace(/^\/+/, '');
}
