import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DeepvisError } from '../errors.js';
import { readEvaluation } from './evaluation.js';
import { pageHtml } from './html.js';

const cell = (mean: number, best: boolean) => ({ mean, ci95: 0.01, best, n: 3 });
const json = {
  methods: ['gradient', 'integrated-gradients'],
  metrics: ['deletion', 'mprt'],
  higherIsBetter: { deletion: false, mprt: false },
  table: {
    gradient: { deletion: cell(0.3, false), mprt: cell(0.2, true) },
    'integrated-gradients': { deletion: cell(0.1, true), mprt: cell(0.9, false) },
  },
  units: [1, 2, 3],
  notes: ['skipped road-morf'],
};

describe('attribution evaluation on the model page', () => {
  it('tables every method × metric with the best starred, and takes the plots', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dv-eval-'));
    await fs.writeFile(path.join(dir, 'evaluate.json'), JSON.stringify(json));
    await fs.writeFile(path.join(dir, 'evaluate-mprt.png'), new Uint8Array([137, 80, 78, 71]));
    const e = await readEvaluation(dir);
    const table = e.sections[0];
    assert.ok(table.kind === 'table');
    assert.deepEqual(table.rows, [
      ['gradient', '0.300 ± 0.010', '0.200 ± 0.010 ★'],
      ['integrated-gradients', '0.100 ± 0.010 ★', '0.900 ± 0.010'],
    ]);
    assert.deepEqual([...e.files.keys()], ['evaluation/evaluate-mprt.png']);
    const html = pageHtml({
      path: 'index.html',
      title: 't',
      crumbs: [],
      nav: {},
      sections: e.sections,
    });
    assert.match(html, /deletion: integrated-gradients; mprt: gradient/);
    assert.match(html, /src="evaluation\/evaluate-mprt\.png"/);
  });

  it('refuses a folder without evaluate.json, or a JSON of something else, in one line', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dv-eval-'));
    await assert.rejects(
      readEvaluation(dir),
      (e: Error) => e instanceof DeepvisError && /no evaluate\.json/.test(e.message),
    );
    await fs.writeFile(
      path.join(dir, 'evaluate.json'),
      '{"methods": ["a"], "metrics": ["b"], "table": {}, "units": []}',
    );
    await assert.rejects(
      readEvaluation(dir),
      (e: Error) => e instanceof DeepvisError && /is not the evaluate\.json/.test(e.message),
    );
  });
});
