/**
 * The site's sections: the markdown sources of docs/ in reading order. Method pages are not
 * listed here — each family's overview page gets its registry's methods as children — and the
 * results pages (docs/results/*.md) are listed by name. A source missing from here, or listed
 * but missing, stops the build.
 */
import type { Method } from './examples.js';

export interface Section {
  readonly title: string;
  /** Sources, relative to docs/. */
  readonly pages: readonly string[];
  /** The family whose method pages hang under this section's first page. */
  readonly methods?: Method['kind'];
  /** Every source under this folder, by name, after `pages`. */
  readonly folder?: string;
  /** Also the API reference (TypeDoc), after the pages. */
  readonly api?: boolean;
}

export const SECTIONS: readonly Section[] = [
  {
    title: 'Start',
    pages: ['index.md', 'getting-started.md', 'cli.md', 'library.md'],
    api: true,
  },
  {
    title: 'Models',
    pages: [
      'models.md',
      'formats/tfjs-layers.md',
      'formats/tfjs-graph.md',
      'formats/onnx.md',
      'formats/keras.md',
    ],
  },
  {
    title: 'Feature visualization',
    pages: ['feature-visualization.md'],
    methods: 'feature-visualization',
  },
  {
    title: 'Attribution',
    pages: ['attribution.md', 'attribution-families.md'],
    methods: 'attribution',
  },
  { title: 'Units through data', pages: ['analysis.md', 'training.md'] },
  { title: 'Tools', pages: ['atlas.md', 'serve.md', 'evaluate.md', 'reproduce.md'] },
  { title: 'Inside', pages: ['engine.md', 'references.md'] },
  { title: 'Results', pages: ['results/index.md'], folder: 'results' },
];
