/**
 * The CLI as a careless or hostile user drives it. A table runs every command against each bad
 * input that applies to it — missing model, unknown layer, unit out of range, unusable --out —
 * and each must print one line, exit 1 and leave nothing behind (no --out folder it created, no
 * staging folder, no lock). Then the rest of issue #9: --out that is /proc, /dev/null, a dangling
 * link, '' or not writable; limits refused before work; Ctrl-C and concurrent runs; control
 * characters; the wasm module's exception handler not deciding the exit code. Interrupted runs
 * are killed by the signal at once (no JS handler delays it) and cleaned up by the watchdog.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../src/io/model_files.js';
import { setup } from './helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const CLI = path.join(root, 'scripts/deepvis-dev.ts');
let dir: string;
let mlp: string;
let dbn: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function deepvis(args: string[], o: { env?: Record<string, string>; uid?: number } = {}): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, ...o.env },
    ...(o.uid != null ? { uid: o.uid, gid: o.uid } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** No staging folder, lock or temp file anywhere under `d`. */
function noDebris(d: string): void {
  if (!existsSync(d)) return;
  const found = readdirSync(d, { recursive: true })
    .map(String)
    .filter((f) => /(^|\/)\.(deepvis-|stage-)|\.tmp$/.test(f));
  assert.deepEqual(found, [], `left behind in ${d}`);
}

function oneLine(r: Run, message: RegExp, what: string): void {
  assert.equal(r.code, 1, `${what}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, message, what);
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: more than one line: ${r.stderr}`);
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-safety-'));
  mlp = path.join(dir, 'mlp');
  dbn = path.join(dir, 'dbn');
  for (const [out, args] of [
    [mlp, ['--arch', 'mlp', '--epochs', '1']],
    [dbn, ['--arch', 'dbn', '--layers', '16,8', '--pretrain-epochs', '1', '--epochs', '0']],
  ] as const) {
    const r = deepvis(['train', ...args, '--data', 'mnist', '--out', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
  }
  writeFileSync(path.join(dir, 'a-file'), 'not a folder\n');
});
after(() => rm(dir, { recursive: true, force: true }));

// Per command: its arguments with a good model, which layer flag it takes, and a unit flag that is out of range.
const COMMANDS: Record<
  string,
  { args: string[]; layer?: string[]; units?: string[]; model?: () => string; noOut?: boolean }
> = {
  maximize: {
    args: ['--layer', 'logits', '--steps', '2'],
    layer: ['--layer', 'nope'],
    units: ['--layer', 'logits', '--units', '0-12'],
  },
  filters: { args: [], layer: ['--layer', 'nope'], units: ['--units', '0-999'] },
  sample: {
    args: ['--layer', 'h2'],
    layer: ['--layer', 'nope'],
    units: ['--layer', 'h2', '--units', '0-20'],
    model: () => dbn,
  },
  dream: {
    args: ['--layer', 'logits', '--units', '0', '--steps', '2'],
    layer: ['--layer', 'nope', '--units', '0'],
    units: ['--layer', 'logits', '--units', '10'],
  },
  invert: {
    args: ['--layer', 'dense1', '--input', 'mnist:0', '--steps', '2'],
    layer: ['--layer', 'nope', '--input', 'mnist:0'],
  },
  activations: { args: ['--input', 'mnist:0'], layer: ['--input', 'mnist:0', '--layers', 'nope'] },
  topk: {
    args: ['--layers', 'logits'],
    layer: ['--layers', 'nope'],
    units: ['--layers', 'logits', '--units', '0-10'],
  },
  deconv: {
    args: ['--layer', 'logits'],
    layer: ['--layer', 'nope'],
    units: ['--layer', 'logits', '--units', '10'],
  },
  occlusion: {
    args: ['--input', 'mnist:0'],
    layer: ['--input', 'mnist:0', '--layer', 'nope'],
    units: ['--input', 'mnist:0', '--layer', 'logits', '--units', '10'],
  },
  attribute: {
    args: ['--input', 'mnist:0', '--method', 'saliency'],
    layer: ['--input', 'mnist:0', '--method', 'saliency', '--layer', 'nope'],
    units: ['--input', 'mnist:0', '--method', 'saliency', '--layer', 'logits', '--units', '10'],
  },
  specificity: { args: [], layer: ['--layers', 'nope'] },
  sensitivity: {
    args: ['--layer', 'logits'],
    layer: ['--layer', 'nope'],
    units: ['--layer', 'logits', '--units', '0-10'],
  },
  lincomb: {
    args: ['--layer', 'logits'],
    layer: ['--layer', 'nope'],
    units: ['--layer', 'logits', '--units', '10'],
  },
  embed: { args: ['--count', '20'], layer: ['--layer', 'nope'] },
  train: { args: ['--arch', 'mlp', '--epochs', '1'] },
  inspect: { args: [], noOut: true },
  serve: { args: ['--port', '0'], noOut: true },
};

describe('bad input × every command: one line, exit 1, nothing left behind', () => {
  let n = 0;
  for (const [command, c] of Object.entries(COMMANDS)) {
    const cases: Array<[string, (out: string) => string[], RegExp]> = [];
    if (command !== 'train')
      cases.push([
        'missing model',
        (out) => [
          ...c.args,
          '--model',
          path.join(dir, 'no-such-model'),
          ...(c.noOut ? [] : ['--out', out]),
        ],
        /model not found: .*no-such-model/,
      ]);
    if (c.layer)
      cases.push([
        'unknown layer',
        (out) => [...c.layer!, '--model', c.model?.() ?? mlp, '--out', out],
        /unknown layer 'nope'|layer 'nope'/,
      ]);
    if (c.units)
      cases.push([
        'unit out of range',
        (out) => [...c.units!, '--model', c.model?.() ?? mlp, '--out', out],
        /out of range/,
      ]);
    if (!c.noOut)
      cases.push([
        '--out is a file',
        () => [
          ...c.args,
          ...(command === 'train' ? [] : ['--model', c.model?.() ?? mlp]),
          '--out',
          path.join(dir, 'a-file'),
        ],
        /--out .*a-file exists and is not a folder/,
      ]);
    for (const [what, argv, message] of cases) {
      it(`${command}: ${what}`, () => {
        const out = path.join(dir, `out-${n++}`, 'nested');
        const r = deepvis([command, ...argv(out)]);
        oneLine(r, message, `${command} ${what}`);
        assert.ok(
          !existsSync(path.dirname(out)),
          `${command} ${what}: left ${path.dirname(out)} behind`,
        );
        noDebris(dir);
      });
    }
  }
});

describe('--out: checked and created before any work', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    [
      '/proc/foo (the recursive-mkdir loop)',
      () => '/proc/deepvis-test/x',
      /cannot create --out \/proc\/deepvis-test\/x/,
    ],
    ['/dev/null', () => '/dev/null', /--out \/dev\/null exists and is not a folder/],
    [
      'a dangling symlink',
      () => {
        const l = path.join(dir, 'dangling');
        if (!existsSync(l)) symlinkSync(path.join(dir, 'gone'), l);
        return l;
      },
      /is a dangling symbolic link/,
    ],
    ["''", () => '', /--out is empty/],
    ['a path through a file', () => path.join(dir, 'a-file', 'x'), /is not a folder/],
  ];
  for (const [what, out, message] of cases) {
    it(`${what}: one line, fast, exit 1`, () => {
      const r = deepvis([
        'maximize',
        '--model',
        mlp,
        '--layer',
        'logits',
        '--steps',
        '100000',
        '--out',
        out(),
      ]);
      oneLine(r, message, what);
      assert.ok(r.ms < 30_000, `took ${r.ms} ms: the check did not come first`);
    });
  }

  it(
    'a folder without write permission (as another user)',
    { skip: process.getuid?.() !== 0 && 'needs root to run as nobody' },
    () => {
      const ro = path.join(dir, 'readonly');
      mkdirSync(ro, { recursive: true });
      chmodSync(dir, 0o755);
      chmodSync(ro, 0o755);
      const r = deepvis(['filters', '--model', mlp, '--out', ro], {
        uid: 65534,
        env: { HOME: '/tmp' },
      });
      oneLine(r, /cannot write to --out .*readonly: permission denied/, 'unwritable');
      assert.deepEqual(readdirSync(ro), []);
    },
  );
});

describe('limits before work', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      '--units 0-10000000000 (not expanded first)',
      ['maximize', '--layer', 'dense1', '--units', '0-10000000000'],
      /--units lists 10,000,000,001 entries; the limit is 100,000/,
    ],
    [
      'units × restarts',
      ['maximize', '--layer', 'dense1', '--units', '0-255', '--restarts', '2000'],
      /512,000 images in one batch \(256 units × 2000 restarts\) need about [\d.]+ GB; the limit is 2\.0 GB/,
    ],
    [
      'smoothgrad --samples 100000000',
      ['attribute', '--input', 'mnist:0', '--method', 'smoothgrad', '--samples', '100000000'],
      /100,000,000 images in one batch \(1 images × 100000000 SmoothGrad samples\).*the limit is 2\.0 GB/,
    ],
    ['topk --k 5000', ['topk', '--k', '5000'], /--k 5000 is past the limit of 1000/],
    [
      'topk picture past the pixel limit, before the scan',
      ['topk', '--k', '1000', '--layers', 'dense1', '--units', '0-255'],
      /topk-dense1\.png would be a 1000×256-tile picture of about [\d,]+ megapixels; the limit is 268/,
    ],
    [
      'a huge --size for dream',
      ['dream', '--layer', 'dense1', '--input', 'mnist:0', '--size', '60000'],
      /60000-pixel photo.*the limit is 2\.0 GB/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = deepvis([...args, '--model', mlp, '--out', path.join(dir, 'limits')]);
      oneLine(r, message, what);
      assert.ok(r.ms < 30_000, `${what}: took ${r.ms} ms`);
      assert.ok(!existsSync(path.join(dir, 'limits')));
    });
  }

  it('DEEPVIS_MEMORY_MB moves the budget', () => {
    const r = deepvis(
      [
        'maximize',
        '--model',
        mlp,
        '--layer',
        'dense1',
        '--units',
        '0-63',
        '--restarts',
        '4',
        '--out',
        path.join(dir, 'limits'),
      ],
      { env: { DEEPVIS_MEMORY_MB: '1' } },
    );
    oneLine(
      r,
      /256 images in one batch \(64 units × 4 restarts\) need about \d+ MB; the limit is 1 MB/,
      'budget',
    );
  });
});

describe('whole outputs', () => {
  const longRun = (out: string, extra: string[] = []) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'maximize',
        '--model',
        mlp,
        '--layer',
        'dense1',
        '--units',
        '0-31',
        '--method',
        'lucid',
        '--steps',
        '100000',
        '--out',
        out,
        '--quiet',
        ...extra,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );

  async function waitFor(cond: () => boolean, ms = 120_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('SIGINT and SIGTERM mid-run remove the stage, the lock and the folder the run created; a second run on a locked --out fails in one line', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const out = path.join(dir, `interrupted-${signal}`);
      const report = path.join(dir, `report-${signal}`);
      const child = longRun(out, ['--unit-files', report]);
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<string | null>((resolve) =>
        child.on('exit', (_code, sig) => resolve(sig)),
      );
      await waitFor(
        () =>
          existsSync(out) &&
          readdirSync(out).some((f) => f.startsWith('.deepvis-stage-')) &&
          existsSync(report),
      ).catch((e) => {
        throw new Error(`${(e as Error).message}; the run said: ${stderr}`);
      });
      const second = deepvis(['filters', '--model', mlp, '--out', out]);
      oneLine(
        second,
        new RegExp(
          `--out .*interrupted-${signal} is in use by another deepvis run \\(pid ${child.pid}\\)`,
        ),
        'concurrent run',
      );
      await new Promise((r) => setTimeout(r, 1500)); // into the optimization
      child.kill(signal);
      assert.equal(
        await exited,
        signal,
        `ended by the signal at once, not after the work: ${stderr}`,
      );
      // The watchdog cleans up within a few hundred milliseconds.
      await waitFor(() => !existsSync(out) && !existsSync(report), 5000).catch(() => {});
      assert.ok(
        !existsSync(out),
        `${signal}: ${existsSync(out) ? readdirSync(out).join(', ') : ''} left in --out`,
      );
      assert.ok(!existsSync(report), `${signal}: --unit-files folder left behind`);
    }
  });

  it('an interrupted run into an existing folder leaves its earlier files as they were', async () => {
    const out = path.join(dir, 'existing');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'dense1~3Apre-erhan.json'), '{"earlier": true}\n');
    const child = longRun(out);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => readdirSync(out).some((f) => f.startsWith('.deepvis-stage-')));
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGINT');
    await exited;
    await waitFor(() => readdirSync(out).length === 1, 5000).catch(() => {});
    assert.deepEqual(
      readdirSync(out),
      ['dense1~3Apre-erhan.json'],
      'the lucid run must not have left anything',
    );
  });

  it('a stale lock (its process gone) is taken over; --unit-files replaces the unit folder whole', () => {
    const out = path.join(dir, 'stale');
    mkdirSync(out, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    writeFileSync(path.join(out, '.deepvis-lock'), `${gone}\n`);
    const report = path.join(dir, 'report');
    mkdirSync(path.join(report, 'logits-erhan'), { recursive: true });
    writeFileSync(path.join(report, 'logits-erhan', 'unit-9.png'), 'from an earlier, bigger run');
    const r = deepvis([
      'maximize',
      '--model',
      mlp,
      '--layer',
      'logits',
      '--units',
      '0-1',
      '--steps',
      '3',
      '--restarts',
      '1',
      '--out',
      out,
      '--unit-files',
      report,
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), [
      'logits-erhan.json',
      'logits-erhan.png',
      'logits-erhan.svg',
    ]);
    assert.deepEqual(readdirSync(path.join(report, 'logits-erhan')).sort(), [
      'unit-0.png',
      'unit-1.png',
    ]);
    noDebris(report);
  });
});

describe('one line for everything', () => {
  it('malformed manifests: "weightsManifest": "zz" and "paths": ["weights%.bin"]', () => {
    for (const [name, manifest, message] of [
      ['zz', '"zz"', /weightsManifest must be a list/],
      [
        'pct',
        '[{"paths": ["weights%.bin"], "weights": []}]',
        /weight path 'weights%\.bin' is not valid URI encoding/,
      ],
    ] as const) {
      const m = path.join(dir, `manifest-${name}`);
      mkdirSync(m, { recursive: true });
      writeFileSync(
        path.join(m, 'model.json'),
        `{"modelTopology": {}, "weightsManifest": ${manifest}}`,
      );
      oneLine(deepvis(['inspect', m]), message, name);
      oneLine(deepvis(['filters', '--model', m, '--out', path.join(dir, 'mf')]), message, name);
    }
  });

  it('control characters from arguments are escaped, not printed', () => {
    const r = deepvis([
      'maximize',
      '--model',
      mlp,
      '--layer',
      'evil\x1b[2J\x07name\nsecond line',
      '--out',
      path.join(dir, 'cc'),
    ]);
    oneLine(r, /unknown layer 'evil\\x1b\[2J\\x07name\\nsecond line'/, 'escapes');
    assert.doesNotMatch(r.stderr, /[\x00-\x09\x0b-\x1f]/);
  });

  it("an exception outside every promise, after the wasm module installed its handler: one line and exit 1, not Node's exit 7", () => {
    const script = path.join(dir, 'throws.mts');
    writeFileSync(
      script,
      `import { startEngine } from ${JSON.stringify(path.join(root, 'src/cli/command.ts'))};
      import { main } from ${JSON.stringify(path.join(root, 'src/cli/main.ts'))};
      await startEngine('wasm');
      setTimeout(() => { throw new TypeError('boom in a callback'); }, 10);
      process.exitCode = await main(['inspect', '--help']);
      await new Promise((r) => setTimeout(r, 1000));\n`,
    );
    const run = (env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const r = run();
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr.trim(),
      'deepvis inspect: internal error: boom in a callback (DEEPVIS_DEBUG=1 shows the trace)',
    );
    const debug = run({ DEEPVIS_DEBUG: '1' });
    assert.equal(debug.status, 1);
    assert.match(debug.stderr, /TypeError: boom in a callback\n\s+at /);
  });
});

describe('one-unit layers and 1×1 maps (tf.oneHot refuses depth 1)', () => {
  let one: string;
  before(async () => {
    await setup('wasm');
    // conv 5×5/2 → 12×12×4, conv 12×12 → a 1×1×3 map, a one-unit sigmoid head (a binary classifier).
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 4,
        kernelSize: 5,
        strides: 2,
        activation: 'relu',
        name: 'conv',
      }),
    );
    m.add(tf.layers.conv2d({ filters: 3, kernelSize: 12, activation: 'relu', name: 'whole' }));
    m.add(tf.layers.flatten({ name: 'flat' }));
    m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
    one = path.join(dir, 'one-unit');
    await saveLayersModel(m, one, { inputRange: [0, 1], channelOrder: 'gray', dataset: 'mnist' });
    m.dispose();
  });

  const runs: Array<[string, string[], string]> = [
    ...['erhan', 'yosinski', 'lucid', 'data-driven'].map((method): [string, string[], string] => [
      `maximize --method ${method}`,
      ['maximize', '--layer', 'out', '--method', method, '--steps', '5'],
      `out~3Apre-${method}.json`,
    ]),
    [
      'maximize on the 1×1 map, --neuron center',
      ['maximize', '--layer', 'whole', '--neuron', 'center', '--steps', '5'],
      'whole~3Apre-erhan.json',
    ],
    [
      'dream --units',
      ['dream', '--layer', 'out', '--units', '0', '--steps', '5'],
      'out~3Apre-dream.json',
    ],
    ['topk on the 1×1 map', ['topk', '--layers', 'whole,out'], 'topk-index.json'],
    [
      'attribute, every method',
      ['attribute', '--input', 'mnist:0', '--samples', '2', '--ig-steps', '2'],
      'attribute-all.json',
    ],
  ];
  it('inspect escapes control characters in names from the model file (class labels)', async () => {
    // tfjs refuses such layer names itself; labels in the metadata are free text.
    const m = tf.sequential();
    m.add(tf.layers.dense({ inputShape: [4], units: 2, name: 'scores' }));
    const hostile = path.join(dir, 'hostile-names');
    await saveLayersModel(m, hostile, {
      inputRange: [0, 1],
      labels: ['cat', 'evil\x1b]0;owned\x07'],
    });
    m.dispose();
    const r = deepvis(['inspect', hostile, '--input-shape', '2,2,1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /evil\\x1b\]0;owned\\x07/);
    assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f]/);
  });

  for (const [what, args, file] of runs) {
    it(what, () => {
      const out = path.join(dir, `one-${what.replace(/\W+/g, '-')}`);
      const r = deepvis([...args, '--model', one, '--out', out, '--quiet']);
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      assert.ok(existsSync(path.join(out, file)), `${what}: no ${file}`);
    });
  }
});
