/**
 * A paper's result → an atlas page (report/site.ts model, report/html.ts markup): what was run and
 * at what size against the paper's, every figure beside the paper's caption, and the claims table
 * with its verdicts. The index page lists the papers with their verdict counts.
 */
import type { Page, Section } from '../report/site.js';
import type { PaperResult, Verdict } from './types.js';

const VERDICTS: readonly Verdict[] = ['reproduced', 'differs', 'not applicable'];

export function verdictCounts(r: PaperResult): Record<Verdict, number> {
  const counts = { reproduced: 0, differs: 0, 'not applicable': 0 } as Record<Verdict, number>;
  for (const c of r.claims) counts[c.verdict]++;
  return counts;
}

export function paperPage(r: PaperResult): Page {
  const path = `${r.paper}/index.html`;
  const sections: Section[] = [
    {
      kind: 'facts',
      id: 'size',
      title: 'What was run',
      items: [
        ...r.size.map((s, i) => [i === 0 ? 'size' : '', s] as const),
        ['time', `${r.seconds.toFixed(0)} s on this machine`],
      ],
    },
    {
      kind: 'table',
      id: 'claims',
      title: 'Claims',
      head: ['where', 'claim', 'paper', 'deepvis', 'verdict', 'how judged / why'],
      rows: r.claims.map((c) => [c.section, c.claim, c.paper, c.ours, c.verdict, c.why]),
    },
    ...r.figures.map((f, i): Section => ({
      kind: 'figures',
      id: `fig-${i + 1}`,
      title: `${f.figure}`,
      size: 'full',
      note: `Paper: ${f.paperCaption}`,
      figures: [
        {
          src: `${r.paper}/${f.src}`,
          alt: `deepvis's version of ${f.figure}`,
          caption: `deepvis: ${f.ours}`,
          numbers: f.numbers,
        },
      ],
    })),
  ];
  return {
    path,
    title: `${r.paper}: ${r.title}`,
    crumbs: [{ text: 'papers', href: 'index.html' }],
    nav: {},
    sections,
    json: `${r.paper}/result.json`,
  };
}

export function indexPage(results: readonly PaperResult[], atlas?: string): Page {
  const rows = results.map((r) => {
    const n = verdictCounts(r);
    return [
      { text: r.paper, href: `${r.paper}/index.html` },
      r.title,
      ...VERDICTS.map((v) => n[v]),
      `${r.seconds.toFixed(0)} s`,
    ];
  });
  const sections: Section[] = [
    {
      kind: 'table',
      id: 'papers',
      title: 'The seed papers, re-made',
      head: ['paper', 'title', 'reproduced', 'differs', 'not applicable', 'time'],
      rows,
    },
  ];
  if (atlas)
    sections.push({
      kind: 'facts',
      title: 'See also',
      items: [['the atlas', { text: atlas, href: atlas }]],
    });
  return { path: 'index.html', title: 'deepvis reproduce', crumbs: [], nav: {}, sections };
}
