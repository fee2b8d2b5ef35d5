/**
 * The app build's lock: a second build of the same folder waits for the first to finish (it then
 * finds the app fresh), and a crashed build's old lock is taken over.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildLock } from './build_app.js';

describe('the app build lock', () => {
  it('a second build of the same folder starts only after the first released it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-lock-'));
    try {
      const out = path.join(dir, 'dist');
      const events: string[] = [];
      const first = await buildLock(out);
      const second = buildLock(out).then((release) => {
        events.push('second acquired');
        return release;
      });
      await new Promise((r) => setTimeout(r, 600));
      events.push('first releases');
      await first();
      await (
        await second
      )();
      assert.deepEqual(events, ['first releases', 'second acquired']);
      // Released: a third takes it at once.
      await (
        await buildLock(out)
      )();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a lock older than ten minutes (a crashed build's) is taken over", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'deepvis-lock-'));
    try {
      const out = path.join(dir, 'dist');
      await writeFile(`${out}.building`, '');
      const old = new Date(Date.now() - 11 * 60_000);
      await utimes(`${out}.building`, old, old);
      const release = await buildLock(out);
      await release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
