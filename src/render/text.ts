/**
 * Text at display size for figures: widths from DejaVu Sans's advance widths (the font the SVG
 * names and librsvg draws with; text_metrics_table.ts is generated from the font file), so a
 * layout can wrap a label onto lines or abbreviate it with '…' instead of cutting it. Kerning is
 * left out, so a measured width is never smaller than the drawn one. Pure: Node and the browser.
 */
import { BOLD, CHARS, REGULAR } from './text_metrics_table.js';

/** The font figures name; DejaVu Sans is what the widths are measured on. */
export const FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif";
/** Font sizes in pixels: tile labels, row labels and axes; titles. */
export const LABEL_SIZE = 13;
export const TITLE_SIZE = 16;
/** Line height as a multiple of the font size. */
export const LINE = 1.25;

const INDEX = new Map([...CHARS].map((ch, i) => [ch, i]));

/** Width in pixels of `text` at `size` px; characters outside the table count as wide ones. */
export function measureText(text: string, size: number, bold = false): number {
  const table = bold ? BOLD : REGULAR;
  let units = 0;
  for (const ch of text) {
    const i = INDEX.get(ch);
    units += i != null ? table[i] : ch.codePointAt(0)! >= 0x2e80 ? 1000 : 800;
  }
  return (units * size) / 1000;
}

export interface FittedText {
  /** The lines to draw, each at most the width asked for. */
  readonly lines: readonly string[];
  /** True when the text did not fit in the lines allowed and the last one ends in '…'. */
  readonly abbreviated: boolean;
}

/**
 * Splits after spaces and after the separators of identifiers (layer.name_3/x-y), keeping them;
 * never inside a number (2.45, -0.38, 1e-3).
 */
function pieces(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const next = text[i + 1] ?? ' ';
    const inNumber = /[.-]/.test(ch) && /\d/.test(next);
    if (/[\s_/]/.test(ch) || (/[.-]/.test(ch) && !inNumber)) {
      if (/\s/.test(next)) continue;
      out.push(text.slice(at, i + 1));
      at = i + 1;
    }
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** The longest prefix of `text` (by characters) whose width is at most `max`. */
function prefixThatFits(text: string, max: number, size: number, bold: boolean): string {
  const chars = [...text];
  let n = 0;
  while (n < chars.length && measureText(chars.slice(0, n + 1).join(''), size, bold) <= max) n++;
  return chars.slice(0, n).join('');
}

/**
 * `text` on at most `maxLines` lines of at most `width` px: greedy wrapping at spaces and
 * identifier separators (a line that a long next piece would leave under 2/3 full is filled up
 * between characters); what does not
 * fit in the last line is abbreviated with '…'. A line is never wider than `width`, except a
 * single '…' when even one character does not fit.
 */
export function fitText(
  text: string,
  width: number,
  size: number,
  maxLines = 2,
  bold = false,
): FittedText {
  const fits = (s: string) => measureText(s, size, bold) <= width;
  const lines: string[] = [];
  let rest = text.trim();
  let lastStart = rest;
  while (rest && lines.length < maxLines) {
    lastStart = rest;
    if (fits(rest)) {
      lines.push(rest);
      rest = '';
      break;
    }
    let line = '';
    let next = '';
    for (const p of pieces(rest)) {
      if (fits(line + p.trimEnd())) line += p;
      else {
        next = p;
        break;
      }
    }
    // A line that a long next piece (an identifier) would leave under 2/3 full is filled by characters.
    const long = measureText(next.trim(), size, bold) > width / 3;
    if (!line.trim() || (long && measureText(line, size, bold) < (2 / 3) * width))
      line = prefixThatFits(rest, width, size, bold) || [...rest][0];
    lines.push(line.trimEnd());
    rest = rest.slice(line.length).trimStart();
  }
  if (!rest) return { lines, abbreviated: false };
  const last = lines.length - 1;
  lines[last] =
    `${prefixThatFits(lastStart, width - measureText('…', size, bold), size, bold).trimEnd()}…`;
  return { lines, abbreviated: true };
}
