/**
 * Which tensors of a compiled ONNX program are layers, and how each is shown. A layer is a tensor
 * with one image per batch row (the compile's batch-2 run doubled its first axis and no other):
 * flat vectors, image maps (NCHW, or channels-last as Swin and ConvNeXt permute them), token
 * layers [B, T, C] whose T is a prefix plus a patch grid of the model's maps (or of --tokens), and
 * attention probabilities. Transformer blocks are found from the attention layers' module paths.
 */
import { DeepvisError } from '../../../errors.js';
import { shortNames } from '../../naming.js';
import { inferLayout, type TokenLayout } from '../../tokens.js';
import type { BlockFacts, InputOverrides, LayerInfo, TransformerFacts } from '../../types.js';
import type { View } from './adapter.js';
import type { Program, Step } from './compile.js';
import { PROBS } from './ops_attention.js';

export interface Tap {
  readonly tensor: string;
  readonly view: View;
}

export interface Discovered {
  readonly layers: LayerInfo[];
  readonly taps: ReadonlyMap<string, Tap>;
  readonly transformer?: TransformerFacts;
  /** Token tensors whose grid could not be told, by name: their token count (for the refusal). */
  readonly unresolved: ReadonlyMap<string, number>;
}

const NORM_OPS = new Set([
  'LayerNormalization',
  'RMSNormalization',
  'GroupNormalization',
  'InstanceNormalization',
]);

interface Candidate {
  readonly tensor: string;
  readonly step: Step;
  readonly view: View | 'tokens?';
  readonly shape: number[];
}

const isSoftmax = (step: Step, tensor: string) =>
  step.node.op === 'Softmax' || tensor.endsWith(PROBS);

/** How tensor `t` would be shown, or null when it is not a per-image tensor. */
function classify(p: Program, t: string, grids: ReadonlySet<string>): Candidate | null {
  const m = p.metas.get(t)!;
  const step = p.steps[p.producer.get(t)!];
  const l = m.logical,
    b = m.batched ?? [];
  if (!b[0] || b.slice(1).some(Boolean)) return null;
  const square = l.length >= 3 && l[l.length - 1] === l[l.length - 2];
  // [B·heads, T, T] from a softmax: attention with the heads folded into the batch.
  const n = p.probeBatch;
  if (l.length === 3 && square && isSoftmax(step, t) && l[0] % n === 0) {
    return {
      tensor: t,
      step,
      view: { kind: 'attention', heads: l[0] / n, merged: true },
      shape: [l[1], l[2], l[0] / n],
    };
  }
  if (l[0] !== n) return null;
  if (l.length === 2) return { tensor: t, step, view: { kind: 'map' }, shape: [l[1]] };
  if (l.length === 4 && square && isSoftmax(step, t))
    return {
      tensor: t,
      step,
      view: { kind: 'attention', heads: l[1], merged: false },
      shape: [l[2], l[3], l[1]],
    };
  if (l.length === 4) {
    const channelsLast =
      m.layout !== 'nhwc' && grids.has(`${l[1]}x${l[2]}`) && !grids.has(`${l[2]}x${l[3]}`);
    return channelsLast
      ? { tensor: t, step, view: { kind: 'channels-last' }, shape: [l[1], l[2], l[3]] }
      : { tensor: t, step, view: { kind: 'map' }, shape: [l[2], l[3], l[1]] };
  }
  if (l.length === 3) return { tensor: t, step, view: 'tokens?', shape: [l[1], l[2]] };
  return null;
}

/**
 * Grid sizes of the program's image maps in graph order (the patch embedding's first), with
 * `halvings` each halved down to 2×2: a hierarchical transformer (Swin) merges patches without a
 * convolution, so its later stages' grids appear nowhere as NCHW maps.
 */
function mapGrids(p: Program, halvings: boolean): Array<[number, number]> {
  const seen = new Map<string, [number, number]>();
  const add = (h: number, w: number) => {
    if (!seen.has(`${h}x${w}`)) seen.set(`${h}x${w}`, [h, w]);
  };
  for (const s of p.steps) {
    for (const o of s.outputs) {
      const m = o ? p.metas.get(o) : undefined;
      if (m?.layout !== 'nhwc' || m.logical.length !== 4) continue;
      for (let [h, w] = [m.logical[2], m.logical[3]]; h >= 1 && w >= 1; h /= 2, w /= 2) {
        add(h, w);
        if (!halvings || h % 2 || w % 2 || h * w <= 4) break;
      }
    }
  }
  return [...seen.values()];
}

export function discoverLayers(
  p: Program,
  overrides: InputOverrides,
  sidecar: TokenLayout | null,
  source: string,
): Discovered {
  // Token grids are the maps' own; a channels-last stage may be any halving of them (Swin).
  const grids = mapGrids(p, false);
  const gridKeys = new Set(mapGrids(p, true).map(([h, w]) => `${h}x${w}`));
  const candidates = p.steps
    .flatMap((s) =>
      s.outputs.filter((o) => o && p.metas.has(o)).map((t) => classify(p, t, gridKeys)),
    )
    .filter((c): c is Candidate => c != null);
  const forced: TokenLayout | null = overrides.tokens
    ? { ...overrides.tokens, source: 'flag' }
    : sidecar;
  const named = shortNames(
    candidates.map((c) => (c.tensor.endsWith(PROBS) ? c.tensor : c.step.node.name)),
    'torch',
  );
  const layers: LayerInfo[] = [];
  const taps = new Map<string, Tap>();
  const unresolved = new Map<string, number>();
  const counts = new Map<TokenLayout, number>();
  const shared = new Map<string, TokenLayout>();
  candidates.forEach((c, i) => {
    const { name, aliases } = named[i];
    let view = c.view;
    let shape = c.shape;
    let layout: TokenLayout | undefined;
    if (view === 'tokens?') {
      const [t, ch] = c.shape;
      const inferred = forced ? null : inferLayout(t, grids);
      const key = inferred ? `${inferred.prefix}:${inferred.grid.join('x')}` : '';
      if (inferred && !shared.has(key)) shared.set(key, { ...inferred, source: 'model' });
      const found = forced ?? shared.get(key) ?? null;
      if (!found || found.prefix + found.grid[0] * found.grid[1] !== t) {
        unresolved.set(name, t);
        for (const a of aliases) unresolved.set(a, t);
        return;
      }
      layout = found;
      counts.set(found, (counts.get(found) ?? 0) + 1);
      view = { kind: 'tokens', layout };
      shape = [found.grid[0], found.grid[1], ch];
    }
    const attention =
      view.kind === 'attention' ? { heads: view.heads, tokens: c.shape[0] } : undefined;
    taps.set(name, { tensor: c.tensor, view });
    const extra = c.tensor !== c.step.node.name ? [c.tensor] : [];
    layers.push({
      name,
      kind: attention ? 'Attention' : c.step.node.op,
      outputShape: shape,
      units: shape[shape.length - 1],
      index: layers.length,
      activation: c.step.compiled.activation,
      aliases: [...aliases, ...extra],
      ...(layout ? { tokens: layout } : {}),
      ...(attention ? { attention } : {}),
      ...(view.kind === 'channels-last' ? { channelsLast: true } : {}),
    });
  });
  // The model's layout: its token layers' most common one (a patch embedding before the class
  // token is prepended has a layout of its own).
  const tokens = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  if (forced && !tokens && unresolved.size) {
    const [first, t] = unresolved.entries().next().value as [string, number];
    throw new DeepvisError(
      `${source}: --tokens prefix=${forced.prefix},grid=${forced.grid.join('x')} does not fit layer '${first}' (${t} tokens)`,
    );
  }
  // A map, not a search per layer: 100,000 layers would make it 10^10 comparisons.
  const candidateOf = new Map<string, number>();
  candidates.forEach((c, i) => candidateOf.has(c.tensor) || candidateOf.set(c.tensor, i));
  const layerScopes = layers.map((l) => named[candidateOf.get(taps.get(l.name)!.tensor)!].scopes);
  const blocks = blocksOf(p, layers, layerScopes);
  const transformer = tokens || blocks.length ? { tokens, blocks } : undefined;
  return { layers, taps, transformer, unresolved };
}

/**
 * Blocks: the module enclosing each attention's module (`blocks.3` around `blocks.3.attn`; a
 * softmax's or Attention node's scope, listed as a layer or not — Swin's windowed attention is
 * not per image), its first normalization and its MLP's GELU layer (the scope of an Erf or Gelu).
 */
function blocksOf(
  p: Program,
  layers: readonly LayerInfo[],
  scopes: ReadonlyArray<readonly string[]>,
): BlockFacts[] {
  const scopeOf = new Map(layers.map((l, i) => [l.name, scopes[i]]));
  const geluScopes = new Set<string>();
  const normScopes = new Set<string>();
  const attentionScopes: string[][] = [];
  const named = shortNames(
    p.steps.map((s) => s.node.name),
    'torch',
  );
  p.steps.forEach((s, i) => {
    const sc = named[i].scopes;
    const inner = sc[sc.length - 1];
    if (!inner) return;
    if (s.node.op === 'Erf' || s.node.op === 'Gelu') geluScopes.add(inner);
    if (NORM_OPS.has(s.node.op) || s.node.op === 'ReduceMean') normScopes.add(inner);
    if (s.node.op === 'Softmax' || s.node.op === 'Attention') attentionScopes.push([...sc]);
  });
  const blocks: BlockFacts[] = [];
  const own = (l: LayerInfo) => (l.aliases ?? []).concat(l.name);
  for (const sc of attentionScopes) {
    const name = sc.length >= 2 ? sc[sc.length - 2] : sc[0];
    if (!name || blocks.some((b) => b.name === name)) continue;
    const inside = layers.filter((l) => (scopeOf.get(l.name) ?? []).includes(name));
    const attention = inside.find((l) => l.attention);
    const norm1 = inside.find(
      (l) =>
        !l.attention && [...normScopes].some((n) => n.startsWith(name + '.') && own(l).includes(n)),
    );
    const mlp = inside.find((l) =>
      [...geluScopes].some((g) => g.startsWith(name + '.') && own(l).includes(g)),
    );
    blocks.push({ name, attention: attention?.name, norm1: norm1?.name, mlp: mlp?.name });
  }
  return blocks;
}
