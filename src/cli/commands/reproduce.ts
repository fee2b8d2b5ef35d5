/**
 * deepvis reproduce PAPER|all [--model FILE] [--quick] --out DIR
 * Issue 18: each seed paper's experiments at a size that fits 2 cores, one page per paper with our
 * figures next to the paper's captions and a claims table (paper's value, ours, verdict). Papers
 * run earlier into the same --out stay on the index. Everything is staged and committed together.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeepvisError } from '../../errors.js';
import { pageHtml, SITE_CSS, SITE_JS } from '../../report/html.js';
import { loadPaper, PAPER_IDS, parsePapers } from '../../reproduce/index.js';
import { indexPage, paperPage, verdictCounts } from '../../reproduce/page.js';
import type { PaperResult } from '../../reproduce/types.js';
import { parseArgs, required, usage, type FlagSpecs } from '../args.js';
import { engineFrom, ENGINE_FLAGS, openOutput } from '../command.js';

const SPECS = {
  model: {
    type: 'string',
    help: "the paper's own model when deepvis cannot ship it (003: VGG16, 004: CaffeNet), as ONNX/Keras/tfjs",
  },
  quick: { type: 'bool', help: 'a much smaller run (minutes → seconds); the pages say so' },
  atlas: {
    type: 'string',
    help: 'link the index to an atlas (`deepvis report`) at this path or URL',
  },
  out: { type: 'string', help: 'output folder of the pages' },
  ...ENGINE_FLAGS,
} as const satisfies FlagSpecs;
export const help = usage(
  'reproduce',
  `${PAPER_IDS.join('|')}|all [--model FILE] [--quick] --out DIR`,
  SPECS,
);

async function earlierResults(dir: string, skip: readonly string[]): Promise<PaperResult[]> {
  const found: PaperResult[] = [];
  for (const id of PAPER_IDS) {
    if (skip.includes(id)) continue;
    const text = await fs.readFile(path.join(dir, id, 'result.json'), 'utf8').catch(() => null);
    if (text == null) continue;
    try {
      const r = JSON.parse(text) as PaperResult;
      if (r.paper === id && Array.isArray(r.claims)) found.push(r);
    } catch {
      // A damaged earlier result is dropped from the index rather than failing this run.
    }
  }
  return found;
}

export async function run(argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(argv, SPECS);
  if (positional.length > 1)
    throw new DeepvisError(`reproduce takes one paper (or all); got ${positional.join(' ')}`);
  const ids = parsePapers(positional[0]);
  const out = required(flags, 'out');
  if (flags.model)
    await fs.access(flags.model).catch(() => {
      throw new DeepvisError(`--model ${flags.model}: no such file or folder`);
    });
  const papers = await Promise.all(ids.map(loadPaper));
  const output = await openOutput(out);
  const engine = await engineFrom(flags);
  const results: PaperResult[] = [];
  for (const paper of papers) {
    const dir = await output.folder(paper.id);
    output.replaceFolder(paper.id);
    const log = (line: string) => process.stderr.write(`[${paper.id}] ${line}\n`);
    log(`${paper.title}${flags.quick ? ' (quick)' : ''}`);
    const t0 = performance.now();
    const r = await paper.run({
      engine,
      dir,
      quick: flags.quick === true,
      seed: flags.seed ?? 0,
      model: flags.model ? path.resolve(flags.model) : undefined,
      log,
    });
    const result: PaperResult = {
      ...r,
      seconds: r.seconds > 0 ? r.seconds : (performance.now() - t0) / 1000,
    };
    for (const f of result.figures)
      await fs.access(path.join(dir, f.src)).catch(() => {
        throw new Error(`paper ${paper.id} lists figure ${f.src} but did not write it`);
      });
    const page = paperPage(result);
    await output.write(page.path, pageHtml(page));
    await output.json(`${paper.id}/result.json`, result);
    const n = verdictCounts(result);
    log(
      `${n.reproduced} reproduced, ${n.differs} differ, ${n['not applicable']} not applicable, ${result.seconds.toFixed(0)} s`,
    );
    results.push(result);
  }
  const all = [...results, ...(await earlierResults(output.dir, ids))].sort((a, b) =>
    a.paper.localeCompare(b.paper),
  );
  await output.write('index.html', pageHtml(indexPage(all, flags.atlas)));
  await output.write('site.css', SITE_CSS);
  await output.write('site.js', SITE_JS);
  await output.commit();
  console.log(`open ${path.join(output.dir, 'index.html')}`);
}
