// `npm test`: every *.test.ts under src/ and test/, in two phases, ending with one line
// "N passed, N failed, N skipped" over both (test/summary-reporter.mjs counts each phase).
// - Two files at a time (CI has two cores) for everything but the live toolbox's browser suites;
// - those suites one at a time afterwards: each drives a page whose work (optimizations, t-SNE,
//   the top-k index) runs on the same cores, and their waits are for that work.
// Arguments are passed to node's test runner (e.g. --test-name-pattern=…).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const files = (dir) =>
  readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)));
const all = [...files('src'), ...files('test')].sort();
const serial = all.filter((f) => /^test\/(app|browser)[^/]*\.test\.ts$/.test(f));
const parallel = all.filter((f) => !serial.includes(f));

const counts = mkdtempSync(path.join(tmpdir(), 'deepvis-test-'));
let failed = false;
for (const [i, [group, concurrency]] of [
  [parallel, 2],
  [serial, 1],
].entries()) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=./test/summary-reporter.mjs',
      `--test-reporter-destination=${path.join(counts, `phase-${i}.txt`)}`,
      ...process.argv.slice(2),
      ...group,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  failed ||= r.status !== 0;
}
const total = { passed: 0, failed: 0, skipped: 0 };
for (const f of ['phase-0.txt', 'phase-1.txt']) {
  let text = '';
  try {
    text = readFileSync(path.join(counts, f), 'utf8');
  } catch {
    // A phase whose runner wrote no summary failed.
  }
  const m = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(text);
  if (!m) {
    failed = true;
    continue;
  }
  total.passed += Number(m[1]);
  total.failed += Number(m[2]);
  total.skipped += Number(m[3]);
}
rmSync(counts, { recursive: true, force: true });
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = failed || total.failed > 0 ? 1 : 0;
