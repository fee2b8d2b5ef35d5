/**
 * The severe cases end to end through the CLI (report with a planted link, merge of a shard with a
 * linked artifact, an evaluation folder with a linked plot or a script link), every former
 * "internal error" as one sentence (malformed shard.json, ONNX dims of 2^40, external data that is
 * a folder, a full disk with the path and the bytes, topk never claiming a file it did not write),
 * a diverging run that keeps its best image, and the memory estimate that counts what the
 * process already holds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { checkBatchMemory } from '../../src/cli/limits.js';
import { fromLayersModel } from '../../src/model/layers_adapter.js';
import { optimize } from '../../src/optimize/loop.js';
import { units } from '../../src/objectives/units.js';
import { pixels } from '../../src/param/pixels.js';
import { planReport } from '../../src/report/plan.js';
import { encodeOnnx } from '../../src/model/formats/onnx/encode.js';
import { layersModel } from './fifo_cases.js';
import { deepvis, fresh, mkfifo, oneLine, root, victim, withBudget, type Case } from './kit.js';

const FAST = [
  '--no-data',
  '--layers',
  'conv',
  '--erhan-steps',
  '2',
  '--lucid-steps',
  '2',
  '--yosinski-steps',
  '2',
  '--diverse-steps',
  '2',
  '--diverse-count',
  '1',
  '--quiet',
];

let model: Promise<string> | null = null;
/** One tiny tfjs model for every CLI case. */
const tiny = () => (model ??= layersModel('cli-model'));

/** A folder with a valid shard.json (shard k of n) and nothing else. */
function shardDir(manifest: unknown, raw?: string): string {
  const d = fresh('shard');
  writeFileSync(path.join(d, 'shard.json'), raw ?? JSON.stringify(manifest));
  return d;
}
const GOOD = { version: 1, shard: [1, 1], hash: '0123456789abcdef0123', argv: ['--model', 'm'] };

/** A tmpfs of `kb` KB (root only), or null. */
function tinyDisk(kb: number): string | null {
  const d = fresh('disk');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', d]);
  return r.status === 0 ? d : null;
}
const unmount = (d: string) => spawnSync('umount', ['-l', d]);

export const CLI_CASES: Case[] = [
  {
    surface: 'store',
    name: 'report --out S with S/a/vis-erhan and S/a/scan linked outside leaves the outside intact (severe 1, CLI)',
    timeout: 120_000,
    run: async () => {
      const v = victim();
      const out = fresh('rep-link');
      mkdirSync(path.join(out, 'a'));
      symlinkSync(v.dir, path.join(out, 'a', 'vis-erhan'));
      symlinkSync(v.dir, path.join(out, 'a', 'scan'));
      const r = deepvis(['report', '--model', await tiny(), ...FAST, '--out', out]);
      v.intact();
      oneLine(r, /a\/vis-erhan is a symbolic link; refused/);
    },
  },
  {
    surface: 'store',
    name: 'report --out S with S/a linked outside leaves every file there (severe 1, CLI)',
    timeout: 120_000,
    run: async () => {
      const v = victim();
      const out = fresh('rep-alink');
      symlinkSync(v.dir, path.join(out, 'a'));
      const r = deepvis(['report', '--model', await tiny(), ...FAST, '--out', out]);
      v.intact();
      oneLine(r, /\/a is a symbolic link; refused/);
    },
  },
  {
    surface: 'merge',
    name: 'report --merge of a shard whose artifact links to a secret refuses; no site is made (severe 2, CLI)',
    timeout: 180_000,
    run: async () => {
      const v = victim();
      const base = fresh('merge');
      const parts = [1, 2].map((k) => path.join(base, `p${k}`));
      for (const [i, p] of parts.entries()) {
        const r = deepvis([
          'report',
          '--model',
          await tiny(),
          ...FAST,
          '--shard',
          `${i + 1}/2`,
          '--out',
          p,
        ]);
        assert.equal(r.code, 0, r.stderr);
      }
      const kind = readdirSync(path.join(parts[0], 'a')).filter((f) => !f.startsWith('.'))[0];
      const key = readdirSync(path.join(parts[0], 'a', kind))[0].slice(0, 20);
      symlinkSync(v.secret, path.join(parts[0], 'a', kind, `${key}-zz.png`));
      const site = path.join(base, 'site');
      const r = deepvis(['report', '--merge', ...parts, '--out', site]);
      oneLine(r, /-zz\.png is a symbolic link; refused/);
      assert.ok(!existsSync(path.join(site, 'index.html')));
      assert.ok(!existsSync(path.join(site, 'a', kind, `${key}-zz.png`)));
    },
  },
  {
    surface: 'evaluation',
    name: 'report --evaluation with a plot linked to a secret refuses in one line (severe 3, CLI)',
    timeout: 120_000,
    run: async () => {
      const v = victim();
      const ev = fresh('ev-cli');
      writeFileSync(
        path.join(ev, 'evaluate.json'),
        JSON.stringify({
          methods: ['saliency'],
          metrics: ['deletion'],
          higherIsBetter: { deletion: false },
          table: { saliency: { deletion: { mean: 0.1, ci95: 0.01, best: true } } },
          units: [0],
        }),
      );
      symlinkSync(v.secret, path.join(ev, 'evaluate-mprt.png'));
      const out = fresh('ev-cli-out');
      oneLine(
        deepvis(['report', '--model', await tiny(), ...FAST, '--evaluation', ev, '--out', out]),
        /evaluate-mprt\.png is a symbolic link; refused/,
      );
      assert.ok(!existsSync(path.join(out, 'evaluation')));
    },
  },
  {
    surface: 'xss',
    name: 'report --evaluation whose note is a javascript: link puts no script link in index.html (severe 4, CLI)',
    timeout: 120_000,
    run: async () => {
      const ev = fresh('xss-cli');
      writeFileSync(
        path.join(ev, 'evaluate.json'),
        JSON.stringify({
          methods: ['saliency'],
          metrics: ['deletion'],
          higherIsBetter: { deletion: false },
          table: { saliency: { deletion: { mean: 0.1, ci95: 0.01, best: true } } },
          units: [0],
          notes: [{ text: 'x', href: 'javascript:alert(document.cookie)' }],
        }),
      );
      const out = fresh('xss-cli-out');
      const r = deepvis([
        'report',
        '--model',
        await tiny(),
        ...FAST,
        '--evaluation',
        ev,
        '--out',
        out,
      ]);
      const index = path.join(out, 'index.html');
      assert.ok(
        !existsSync(index) || !/javascript:/i.test(readFileSync(index, 'utf8')),
        'javascript: reached index.html',
      );
      oneLine(r, /'notes' must be a list of strings/);
    },
  },
  ...(
    [
      [
        'shard.json that is not JSON',
        () => shardDir(null, '{"shard": [1, '),
        /shard\.json is not valid JSON/,
      ],
      ['shard.json that is {}', () => shardDir({}), /shard\.json: 'shard' must be \[K, N\]/],
      [
        'shard.json with shard [0, 2]',
        () => shardDir({ ...GOOD, shard: [0, 2] }),
        /'shard' must be \[K, N\] with 1 ≤ K ≤ N/,
      ],
      [
        'shard.json without a hash',
        () => shardDir({ ...GOOD, hash: 7 }),
        /'hash' must be the model's content hash/,
      ],
      [
        'shard.json whose argv carries --out',
        () => shardDir({ ...GOOD, argv: ['--model', 'm', '--out', '/tmp/elsewhere'] }),
        /'argv' must be the shard run's options without --out/,
      ],
      [
        'shard.json that is a FIFO',
        () => {
          const d = fresh('shard-fifo');
          mkfifo(path.join(d, 'shard.json'));
          return d;
        },
        /shard\.json is a FIFO \(named pipe\); refused/,
      ],
    ] as const
  ).map(([what, make, re]): Case => ({
    surface: 'sentences',
    name: `report --merge with ${what}: one line`,
    run: () => {
      const d = make();
      const r = deepvis(
        ['report', '--merge', d, '--out', path.join(fresh('merge-out'), 'site')],
        {},
        20_000,
      );
      oneLine(r, re);
    },
  })),
  {
    surface: 'sentences',
    name: 'inspect of an ONNX tensor with dims of 2^40: one line naming the tensor',
    run: () => {
      const f = path.join(fresh('cli-dims'), 'm.onnx');
      writeFileSync(
        f,
        encodeOnnx({
          opset: 17,
          inputs: [{ name: 'x', dims: [1, 1, 8, 8] }],
          outputs: [{ name: 'y' }],
          nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
          initializers: [
            { name: 'w', dims: [2, 1, 3, 3], dtype: 'float32', data: new Array(18).fill(0) },
            { name: 'huge', dims: [2 ** 40, 2], dtype: 'float32', data: [] },
          ],
        }),
      );
      oneLine(
        deepvis(['inspect', '--model', f]),
        /m\.onnx: tensor 'huge' has shape \[1099511627776, 2\]/,
      );
    },
  },
  {
    surface: 'sentences',
    name: 'inspect of an ONNX file whose external data is a folder: one line',
    run: () => {
      const d = fresh('cli-extdir');
      mkdirSync(path.join(d, 'w.bin'));
      writeFileSync(
        path.join(d, 'm.onnx'),
        encodeOnnx({
          opset: 17,
          inputs: [{ name: 'x', dims: [1, 1, 8, 8] }],
          outputs: [{ name: 'y' }],
          nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
          initializers: [
            {
              name: 'w',
              dims: [2, 1, 3, 3],
              dtype: 'float32',
              data: [],
              external: { location: 'w.bin', offset: 0, length: 72 },
            },
          ],
        }),
      );
      oneLine(
        deepvis(['inspect', '--model', path.join(d, 'm.onnx')]),
        /w\.bin is a folder; refused/,
      );
    },
  },
  {
    surface: 'sentences',
    name: 'a full disk is one line naming the file and the bytes, and leaves nothing behind',
    timeout: 120_000,
    run: async () => {
      const disk = tinyDisk(64);
      if (!disk) return assert.fail('mounting a tmpfs needs root');
      try {
        writeFileSync(path.join(disk, 'filler'), Buffer.alloc(56 * 1024));
        const out = path.join(disk, 'out');
        const r = deepvis([
          'maximize',
          '--model',
          await tiny(),
          '--layer',
          'conv',
          '--steps',
          '2',
          '--out',
          out,
          '--quiet',
        ]);
        oneLine(r, /no space left on the device for .*out\/\S+ \([\d,]+ (bytes|MB) to write\)/);
        assert.deepEqual(existsSync(out) ? readdirSync(out) : [], []);
      } finally {
        unmount(disk);
      }
    },
  },
  {
    surface: 'sentences',
    name: 'topk on a full disk never prints the index it did not write',
    timeout: 120_000,
    run: async () => {
      const disk = tinyDisk(96);
      if (!disk) return assert.fail('mounting a tmpfs needs root');
      try {
        writeFileSync(path.join(disk, 'filler'), Buffer.alloc(88 * 1024));
        const r = deepvis([
          'topk',
          '--model',
          await tiny(),
          '--data',
          'mnist',
          '--layers',
          'logits',
          '--out',
          path.join(disk, 'out'),
          '--quiet',
        ]);
        assert.ok(!/index: /.test(r.stdout), `claimed an index: ${r.stdout}`);
        assert.equal(r.code, 1, r.stderr);
        assert.ok(!existsSync(path.join(disk, 'out', 'topk-index.json')));
      } finally {
        unmount(disk);
      }
    },
  },
  {
    surface: 'sentences',
    name: "a wasm abort inside a command is one line (the module's own 'Aborted()' held back)",
    timeout: 120_000,
    run: () => {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'test/hostile/wasm_abort_child.ts')],
        { cwd: root, encoding: 'utf8', timeout: 100_000 },
      );
      oneLine(
        { code: r.status, stdout: r.stdout, stderr: r.stderr },
        /^deepvis attribute: internal error: Aborted\(\)/,
      );
    },
  },
  {
    surface: 'diverge',
    name: 'a run that diverges keeps its best image and says at which step it stopped',
    run: () => {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({
            inputShape: [2, 2, 1],
            units: 1,
            name: 'out',
            kernelInitializer: 'ones',
          }),
        ],
      });
      const model = fromLayersModel(m, { range: [0, 1] });
      const param = pixels(() => tf.fill([1, 2, 2, 1], 0.3) as tf.Tensor4D);
      try {
        const r = optimize(model, param, units(model.layer('out'), [0]), { steps: 50, lr: 1e30 });
        assert.match(r.stopped?.reason ?? '', /^diverged at step \d+ /);
        assert.ok(
          r.images.dataSync().every((v) => Number.isFinite(v) && v >= 0 && v <= 1),
          'the kept image is a sane one',
        );
        r.images.dispose();
      } finally {
        param.dispose();
        m.dispose();
      }
    },
  },
  {
    surface: 'diverge',
    name: 'maximize --method lucid that diverges writes its best image, the step in the JSON, exit 0',
    timeout: 120_000,
    run: async () => {
      const out = fresh('diverge-cli');
      const r = deepvis([
        'maximize',
        '--model',
        await tiny(),
        '--method',
        'lucid',
        '--layer',
        'conv',
        '--units',
        '0-1',
        '--steps',
        '200',
        '--lr',
        '1e30',
        '--out',
        out,
        '--quiet',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /stopped at step \d+ of 200: diverged at step \d+ .*; the best image from the steps before is kept and written/,
      );
      const json = JSON.parse(
        readFileSync(
          path.join(
            out,
            readdirSync(out).find((f) => f.endsWith('.json'))!,
          ),
          'utf8',
        ),
      );
      assert.ok(Number.isInteger(json.stopped?.step), JSON.stringify(json.stopped));
      assert.ok(readdirSync(out).some((f) => f.endsWith('.png')));
    },
  },
  {
    surface: 'budget',
    name: 'the memory check counts what the process already holds',
    run: () => {
      const m = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [4, 4, 1], units: 2, name: 'out' })],
      });
      const model = fromLayersModel(m, { range: [0, 1] });
      return withBudget(Math.floor(process.memoryUsage().rss / 2 ** 20 / 2), () => {
        assert.throws(
          () => checkBatchMemory(model, 1, { what: 'one image', hint: 'a larger budget' }),
          /1 images in one batch \(one image\) need about .*; the limit is/,
        );
      }).finally(() => m.dispose());
    },
  },
  {
    surface: 'budget',
    name: "the atlas's groups shrink to fit the budget (a group was 32 units whatever the model)",
    run: () => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [64, 64, 3],
            filters: 64,
            kernelSize: 3,
            padding: 'same',
            name: 'conv',
          }),
          tf.layers.flatten({ name: 'f' }),
          tf.layers.dense({ units: 2, name: 'out' }),
        ],
      });
      const model = fromLayersModel(m, { range: [0, 1] });
      return withBudget(400, () => {
        const plan = planReport(model, { layers: ['conv'] });
        assert.ok(
          plan.groups.every((g) => g.units.length < 32),
          plan.groups.map((g) => g.units.length).join(','),
        );
      }).finally(() => m.dispose());
    },
  },
];
