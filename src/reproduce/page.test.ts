import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageHtml } from '../report/html.js';
import { parsePapers } from './index.js';
import { indexPage, paperPage, verdictCounts } from './page.js';
import { withinVerdict, type PaperResult } from './types.js';

const result: PaperResult = {
  paper: '002',
  title: 'Erhan',
  size: ['8,000 MNIST digits, not 60,000'],
  seconds: 12,
  figures: [{ figure: 'fig. 1', paperCaption: 'AM of layer 1', ours: 'our AM', src: 'fig1.png' }],
  claims: [
    {
      section: '§6.2',
      claim: 'restarts agree',
      paper: 'yes',
      ours: '0.93',
      verdict: 'reproduced',
      why: 'ρ > 0.8',
    },
    {
      section: '§6.2',
      claim: 'diagonal',
      paper: 'yes',
      ours: '0.41',
      verdict: 'differs',
      why: 'ρ < 0.8',
    },
    {
      section: 'fig. 7',
      claim: 'CaffeNet',
      paper: '-',
      ours: '-',
      verdict: 'not applicable',
      why: 'no model',
    },
  ],
};

describe('reproduce pages', () => {
  it('counts verdicts and puts every claim and figure on the page', () => {
    assert.deepEqual(verdictCounts(result), { reproduced: 1, differs: 1, 'not applicable': 1 });
    const page = paperPage(result);
    const claims = page.sections.find((s) => s.id === 'claims');
    assert.ok(claims && claims.kind === 'table' && claims.rows.length === 3);
    const html = pageHtml(page);
    assert.match(html, /src="\.\.\/002\/fig1\.png"/);
    assert.match(html, /Paper: AM of layer 1/);
    // A paper page has no pager: its footer lists no keys (an atlas unit page's does).
    assert.doesNotMatch(html, /Keys:/);
    assert.match(
      pageHtml({ ...page, nav: { prev: { href: 'a.html', text: 'a' } } }),
      /Keys: ← → previous \/ next unit\. /,
    );
    const index = indexPage([result]);
    assert.ok(
      index.sections[0].kind === 'table' &&
        index.sections[0].rows[0].slice(2, 5).join() === '1,1,1',
    );
  });
  it('parses paper ids and refuses unknown ones in one line', () => {
    assert.deepEqual(parsePapers('all'), ['000', '001', '002', '003', '004']);
    assert.deepEqual(parsePapers('2'), ['002']);
    assert.throws(() => parsePapers('007'), /unknown paper '007'/);
    assert.throws(() => parsePapers(undefined), /which paper/);
  });
  it('judges a number against a range', () => {
    assert.equal(withinVerdict(0.5, 0, 1), 'reproduced');
    assert.equal(withinVerdict(1.5, 0, 1), 'differs');
    assert.equal(withinVerdict(NaN, 0, 1), 'differs');
  });
});
