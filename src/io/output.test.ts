import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFileAtomic } from './atomic.js';
import { makeDirs } from './dirs.js';
import { abortOpenOutputs, LOCK_FILE, OutputSession } from './output.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-output-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('OutputSession', () => {
  it('nothing appears in --out before commit; everything after, and no stage or lock remains', async () => {
    const out = path.join(dir, 'a', 'b');
    const s = await OutputSession.open(out);
    assert.deepEqual(
      readdirSync(out).filter((f) => !f.startsWith('.deepvis-')),
      [],
    );
    assert.ok(existsSync(path.join(out, LOCK_FILE)));
    await s.write('x.txt', 'x');
    await s.json('sub/y.json', { y: 1 });
    assert.ok(!existsSync(path.join(out, 'x.txt')), 'visible before commit');
    await s.commit();
    assert.deepEqual(readdirSync(out).sort(), ['sub', 'x.txt']);
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'sub', 'y.json'), 'utf8')), { y: 1 });
  });

  it('abort removes the stage, the lock and the folders it created, and leaves earlier files', async () => {
    const fresh = path.join(dir, 'fresh', 'deep');
    const s = await OutputSession.open(fresh);
    await s.write('half.png', 'half');
    await s.abort();
    assert.ok(!existsSync(path.join(dir, 'fresh')), 'created folders left behind');
    const kept = path.join(dir, 'kept');
    mkdirSync(kept);
    writeFileSync(path.join(kept, 'earlier.txt'), 'earlier');
    const t = await OutputSession.open(kept);
    await t.write('earlier.txt', 'overwritten?');
    await abortOpenOutputs();
    assert.deepEqual(readdirSync(kept), ['earlier.txt']);
    assert.equal(readFileSync(path.join(kept, 'earlier.txt'), 'utf8'), 'earlier');
  });

  it('a second session on a locked folder fails in one line; the lock is released at commit', async () => {
    const out = path.join(dir, 'locked');
    const s = await OutputSession.open(out);
    await assert.rejects(
      OutputSession.open(out),
      new RegExp(`--out .*locked is in use by another deepvis run \\(pid ${process.pid}\\)`),
    );
    await s.commit();
    const again = await OutputSession.open(out);
    await again.abort();
  });

  it('sessions opened at once on siblings of a missing parent both succeed (report --workers)', async () => {
    const parent = path.join(dir, 'race', '.shards');
    const sessions = await Promise.all(
      [1, 2, 3].map((k) => OutputSession.open(path.join(parent, String(k)))),
    );
    for (const s of sessions) await s.commit();
    assert.deepEqual(readdirSync(parent).sort(), ['1', '2', '3']);
  });

  it('replaceFolder swaps a folder whole: no stale files of an earlier run', async () => {
    const out = path.join(dir, 'report');
    mkdirSync(path.join(out, 'conv1-erhan'), { recursive: true });
    writeFileSync(path.join(out, 'conv1-erhan', 'unit-31.png'), 'stale');
    writeFileSync(path.join(out, 'other.txt'), 'kept');
    const s = await OutputSession.open(out, '--unit-files');
    s.replaceFolder('conv1-erhan');
    await s.write('conv1-erhan/unit-0.png', 'new');
    await s.commit();
    assert.deepEqual(readdirSync(path.join(out, 'conv1-erhan')), ['unit-0.png']);
    assert.deepEqual(readdirSync(out).sort(), ['conv1-erhan', 'other.txt']);
  });

  it('refuses output names that leave the folder', async () => {
    const s = await OutputSession.open(path.join(dir, 'names'));
    await assert.rejects(s.write('../escape.txt', 'x'), /would leave/);
    await assert.rejects(s.write('/etc/x', 'x'), /would leave/);
    await s.abort();
    assert.ok(!existsSync(path.join(dir, 'escape.txt')));
  });

  it('--out that cannot be a folder: one line each', async () => {
    writeFileSync(path.join(dir, 'file'), '');
    await assert.rejects(OutputSession.open(''), /--out is empty/);
    await assert.rejects(OutputSession.open(undefined), /--out is required/);
    await assert.rejects(OutputSession.open(path.join(dir, 'file')), /exists and is not a folder/);
    await assert.rejects(OutputSession.open('/dev/null'), /exists and is not a folder/);
    await assert.rejects(
      OutputSession.open('/proc/deepvis-nope'),
      /cannot create --out \/proc\/deepvis-nope/,
    );
  });
});

describe('makeDirs', () => {
  it('creates the missing parents and says which', async () => {
    const d = path.join(dir, 'm1', 'm2', 'm3');
    assert.deepEqual(await makeDirs(d), [path.join(dir, 'm1'), path.join(dir, 'm1', 'm2'), d]);
    assert.deepEqual(await makeDirs(d), []);
  });

  it('fails at once under /proc, where recursive mkdir never returns', async () => {
    const t0 = Date.now();
    await assert.rejects(makeDirs('/proc/deepvis-nope/x'), /ENOENT/);
    await assert.rejects(writeFileAtomic('/proc/deepvis-nope/x.png', 'x'), /ENOENT/);
    assert.ok(Date.now() - t0 < 2000);
  });
});
