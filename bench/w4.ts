/**
 * W4 (ResNet-18 / MobileNetV2 at 224 px) and W5 (ViT-B/16, ConvNeXt-T) alternating with PyTorch in
 * the same run. The ONNX file is the very network torch_bench.py builds (`--export`, seeded random
 * init, ImageNet normalization in front), written once into bench/.cache; each deepvis round runs
 * in its own process (bench/w4_child.ts) so that peak memory is measured alike on both sides. For
 * ResNet-18 each round also runs PyTorch's Lucid step (`--workload lucid`, Lucent's recipe on 8
 * channels of layer3), the twin of the child's Lucid step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Measure } from './workloads.js';

const root = path.resolve(import.meta.dirname, '..');

export interface W4Round {
  deepvis: Measure | null;
  torch: Measure | null;
  torchLucid: Measure | null;
}

export type RealScale = 'w4' | 'w4-mobilenet' | 'w5-vit' | 'w5-convnext' | 'w5-swin';

/** The layer whose 8 channels the Lucid step draws (null: no Lucid step for this network). */
/** torchvision's name of each W5 network. */
const W5_KIND: Record<string, string> = {
  'w5-vit': 'vit_b_16',
  'w5-convnext': 'convnext_tiny',
  'w5-swin': 'swin_t',
};
const LUCID_LAYER: Record<RealScale, string | null> = {
  w4: 'net.layer3',
  'w4-mobilenet': 'net.features.13',
  'w5-vit': null,
  'w5-convnext': null,
  'w5-swin': null,
};

function json(stdout: string): Measure | null {
  try {
    const j = JSON.parse(stdout.trim().split('\n').pop() ?? '');
    return j.error ? null : (j as Measure);
  } catch {
    return null;
  }
}

export function w4Rounds(
  workload: RealScale,
  torchScript: string,
  python: string,
  rounds: number,
  reps = 3,
): W4Round[] {
  const cache = path.join(root, 'bench/.cache');
  mkdirSync(cache, { recursive: true });
  const file = path.join(cache, `${workload}.onnx`);
  const torch = (exportTo?: string) =>
    json(
      spawnSync(
        python,
        [
          torchScript,
          '--threads',
          '2',
          '--workload',
          workload,
          '--reps',
          String(reps),
          ...(exportTo ? ['--export', exportTo] : []),
        ],
        { encoding: 'utf8', timeout: 900_000 },
      ).stdout,
    );
  const out: W4Round[] = [];
  let first = existsSync(file) ? null : torch(file);
  if (!existsSync(file) && workload.startsWith('w5')) {
    // PyTorch 1.13 cannot export a frozen ViT (its fast-path attention kernel has no ONNX symbolic):
    // the same network, exported by bench/w5_export.py, and the yardstick's timings without --export.
    process.stderr.write(
      `${workload}: torch_bench.py --export failed (${String(first?.error ?? '').slice(0, 120)}); exporting the same network with bench/w5_export.py\n`,
    );
    spawnSync(
      python,
      [path.join(root, 'bench/w5_export.py'), torchScript, W5_KIND[workload], file],
      { encoding: 'utf8', timeout: 900_000 },
    );
    first = null;
  }
  if (!existsSync(file)) throw new Error(`${workload}: torch_bench.py did not export ${file}`);
  const layer = LUCID_LAYER[workload];
  const lucid = () =>
    json(
      spawnSync(
        python,
        [
          torchScript,
          '--threads',
          '2',
          '--workload',
          'lucid',
          '--model',
          'resnet18',
          '--layer',
          layer!,
          '--reps',
          String(reps + 2),
        ],
        { encoding: 'utf8', timeout: 900_000 },
      ).stdout,
    );
  for (let r = 0; r < rounds; r++) {
    const t = first ?? torch();
    first = null;
    const torchLucid = workload === 'w4' ? lucid() : null;
    const d = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'bench/w4_child.ts'),
        file,
        '--reps',
        String(reps),
        '--layer',
        layer ?? 'none',
      ],
      { cwd: root, encoding: 'utf8', timeout: 1_800_000 },
    );
    out.push({ torch: t, deepvis: json(d.stdout), torchLucid });
    const failed =
      'failed: ' + (d.stdout.trim().split('\n').pop() || d.stderr.split('\n').slice(-3).join(' '));
    process.stderr.write(
      `${workload} round ${r + 1}: deepvis ${out[r].deepvis?.value.toFixed(0) ?? failed} ms (gradients: ${out[r].deepvis?.gradient_engine ?? '?'}), torch ${t?.value.toFixed(0) ?? '—'} ms${torchLucid ? `; Lucid step ${Number(out[r].deepvis?.lucid_step_ms).toFixed(0)} vs torch ${torchLucid.value.toFixed(0)} ms` : ''}\n`,
    );
  }
  return out;
}
