/**
 * Live attention of a vision transformer: for the current input, every head of the chosen block
 * (the class token's attention to the patches, over the input), their mean, and attention rollout
 * (Abnar & Zuidema 2020) — redrawn whenever the input changes, with each head's mean attention
 * distance and class-token entropy beside it (analysis/attention_stats.ts). Hidden for models
 * without global attention (CNNs, Swin's windows).
 */
import * as tf from '@tensorflow/tfjs';
import { analysis, attribution, render, type VisModel } from '../../../src/index.js';
import { $, $canvas, $input, drawImage } from './draw.js';
import type { AppState } from './state.js';

const { grid, heatOverlay, toImage } = render;
const { attentionBlocks, attentionLack, headMap, rolloutMap } = attribution;
const { classTokenEntropy, meanAttentionDistance } = analysis;

export class AttentionView {
  private blocks = 0;

  constructor(
    private readonly state: AppState,
    private readonly current: () => tf.Tensor3D | null,
  ) {
    $input('attn-block').addEventListener('input', () => this.redraw());
  }

  /** A new model: the section shows only for a transformer with global attention. */
  reset(model: VisModel): void {
    const lack = attentionLack(model);
    $('attention-panel').hidden = lack != null;
    if (lack) return;
    this.blocks = attentionBlocks(model, 'attention').blocks.length;
    const slider = $input('attn-block');
    slider.max = String(this.blocks - 1);
    slider.value = String(this.blocks - 1);
    this.redraw();
  }

  /** The input changed (called after every computed live frame). */
  onFrame(x: tf.Tensor3D): void {
    if (!$('attention-panel').hidden && $input('attn-live').checked) this.draw(x);
  }

  private redraw(): void {
    const x = this.current();
    if (x) this.draw(x);
  }

  private draw(x3: tf.Tensor3D): void {
    const model = this.state.model;
    if (!model || attentionLack(model)) return;
    const b = Number($input('attn-block').value);
    $('attn-block-out').textContent = `${b} of 0–${this.blocks - 1}`;
    const { blocks, tokens } = attentionBlocks(model, 'attention');
    const [H, W, C] = model.input.shape;
    const x = x3.expandDims(0) as tf.Tensor4D;
    try {
      const [a] = model.activations(x, [blocks[b].attention]) as tf.Tensor4D[];
      const heads = a.shape[3];
      const values = a.dataSync() as Float32Array;
      const patch: [number, number] = [H / tokens.grid[0], W / tokens.grid[1]];
      const distance = meanAttentionDistance(values, a.shape, tokens.prefix, tokens.grid, patch);
      const entropy = classTokenEntropy(values, a.shape);
      const maps = [
        ...Array.from({ length: heads }, (_, h) => h as number | 'mean'),
        'mean' as const,
      ].map((h) => tf.tidy(() => headMap(a, h, tokens, x).dataSync() as Float32Array));
      const roll = tf.tidy(() => rolloutMap(model, x).dataSync() as Float32Array);
      a.dispose();
      const base = toImage(x3.dataSync(), [H, W, C], { mode: 'range', range: model.input.range });
      const tiles = [base, ...maps.map((m) => heatOverlay(base, m)), heatOverlay(base, roll)];
      const labels = ['input', ...distance.map((_, h) => `head ${h}`), 'mean', 'rollout'];
      const out = $canvas('attn-out');
      drawImage(out, grid(tiles, { labels, minTile: 112, cols: tiles.length }));
      out.dataset.block = String(b);
      out.dataset.heads = String(heads);
      $('attn-info').textContent =
        `${blocks[b].name}: ${heads} heads, class token → patches. Mean attention distance ${distance.map((d) => d.toFixed(1)).join(', ')} px; class-token entropy ${entropy.map((e) => e.toFixed(2)).join(', ')} (1 = uniform).`;
    } finally {
      x.dispose();
    }
  }
}
