/**
 * Test support for the paper modules (used by paper_*.test.ts only): runs a paper quick into a
 * fresh temporary folder and checks what every result must satisfy — each listed figure was
 * written as a PNG, every claim has a verdict, 'reproduced' and 'differs' rows carry an `ours`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { initEngine } from '../engine/backend.js';
import type { Paper, PaperResult } from './types.js';

export async function runQuick(
  paper: Paper,
  seed: number,
  model?: string,
): Promise<{ result: PaperResult; dir: string }> {
  const engine = await initEngine({ backend: 'wasm' });
  const dir = await mkdtemp(path.join(tmpdir(), `deepvis-paper-${paper.id}-`));
  const result = await paper.run({ engine, dir, quick: true, seed, model, log: () => {} });
  assert.equal(result.paper, paper.id);
  assert.ok(result.size.length > 0 && result.seconds > 0);
  for (const f of result.figures) {
    const file = path.join(dir, f.src);
    assert.ok(existsSync(file), `figure ${f.figure}: ${f.src} was not written`);
    assert.deepEqual(
      [...readFileSync(file).subarray(1, 4)],
      [0x50, 0x4e, 0x47],
      `${f.src} is a PNG`,
    );
    assert.ok(f.paperCaption.length > 20 && f.ours.length > 10, `${f.figure} has both captions`);
  }
  for (const c of result.claims) {
    assert.ok(
      ['reproduced', 'differs', 'not applicable'].includes(c.verdict),
      `${c.section}: verdict ${c.verdict}`,
    );
    if (c.verdict !== 'not applicable')
      assert.ok(c.ours !== '—' && c.ours.length > 0, `${c.section}: no value`);
  }
  return { result, dir };
}

/** The numbers behind a claim, flattened, found by its section. */
export function claimValues(r: PaperResult, section: string): number[] {
  const c = r.claims.find((x) => x.section === section);
  assert.ok(c, `no claim in ${section}; have ${r.claims.map((x) => x.section).join(', ')}`);
  return Object.values(c.values ?? {}).flatMap((v) => (Array.isArray(v) ? [...v] : [v as number]));
}
