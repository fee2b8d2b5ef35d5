/**
 * Checked layer references: by exact name, unique name suffix (graph node paths), or index. A
 * reference may ask for the pre-activation of a layer with a fused activation: `conv:pre` on the
 * command line and in tap names. `parseRef` is the one place that suffix is read; everything
 * else holds a LayerRef { name, pre }.
 */
import { DeepvisError, listNames } from '../errors.js';
import type { LayerInfo } from './types.js';

export const PRE = ':pre';

/** A layer (its own name) and whether its pre-activation is meant. */
export interface LayerRef {
  readonly name: string;
  readonly pre: boolean;
}

/** 'conv:pre' → { name: 'conv', pre: true }; any other string → { name, pre: false }. */
export function parseRef(ref: string): LayerRef {
  return ref.endsWith(PRE)
    ? { name: ref.slice(0, -PRE.length), pre: true }
    : { name: ref, pre: false };
}

/**
 * A layer reference, typed, as the string every API takes: `layerRef('dense1')` is 'dense1',
 * `layerRef('dense1', { pre: true })` its pre-activation 'dense1:pre' (a layer with a fused
 * activation). The name is the layer's own (no ':pre' in it).
 */
export function layerRef(name: string, opts: { readonly pre?: boolean } = {}): string {
  if (name.endsWith(PRE))
    throw new DeepvisError(
      `layerRef takes the layer's own name; give { pre: true } instead of '${name}'`,
    );
  return refName({ name, pre: opts.pre ?? false });
}

/** The tap name of a reference, as `VisModel.layer`, activations and file names know it. */
export function refName(ref: LayerRef): string {
  return ref.pre ? ref.name + PRE : ref.name;
}

/** The reference a resolved layer stands for (its pre twin is `name:pre`). */
export function refOf(layer: Pick<LayerInfo, 'name'>): LayerRef {
  return parseRef(layer.name);
}

/**
 * Activations whose maximizer is the pre-activation's (monotonic): optimizing the pre-activation
 * avoids a dead ReLU at a random start and a saturated sigmoid at the end, where gradients vanish.
 */
export const MONOTONIC_ACTIVATION = /relu|elu|sigmoid|tanh|softplus|swish/;

/**
 * The layer an optimization should climb: `pre` 'auto' takes the pre-activation of a layer with a
 * fused monotonic activation, 'yes' always (error if it has none), 'no' never.
 */
export function optimizedLayer(
  find: (ref: string) => LayerInfo,
  ref: string,
  pre: 'auto' | 'yes' | 'no' = 'auto',
): LayerInfo {
  const base = find(ref);
  const r = refOf(base);
  if (
    r.pre ||
    pre === 'no' ||
    (pre === 'auto' && !MONOTONIC_ACTIVATION.test(base.activation ?? ''))
  )
    return base;
  return find(refName({ name: r.name, pre: true }));
}

/** `LAYER:cls`: a token layer's first prefix token (the class token) as a flat layer. */
export const CLS = ':cls';

export function findLayer(layers: readonly LayerInfo[], ref: string | number): LayerInfo {
  if (typeof ref === 'string' && ref.endsWith(CLS)) {
    const base = findLayer(layers, ref.slice(0, -CLS.length));
    if (!base.tokens || base.tokens.prefix < 1) {
      throw new DeepvisError(
        `layer '${base.name}' has no class token (${ref}): ${base.tokens ? 'its tokens are all patches' : 'it is not a token layer'}`,
      );
    }
    const c = base.outputShape[base.outputShape.length - 1];
    const { tokens: _, ...rest } = base;
    return {
      ...rest,
      name: base.name + CLS,
      kind: `${base.kind} (class token)`,
      outputShape: [c],
      units: c,
      aliases: [],
    };
  }
  const parsed = typeof ref === 'string' ? parseRef(ref) : null;
  if (parsed?.pre) {
    const base = findLayer(layers, parsed.name);
    if (!base.activation) {
      throw new DeepvisError(
        `layer '${base.name}' has no fused activation, so it has no separate pre-activation (${ref})`,
      );
    }
    return {
      ...base,
      name: refName({ name: base.name, pre: true }),
      kind: `${base.kind} (pre-${base.activation})`,
      activation: undefined,
    };
  }
  if (typeof ref === 'number' || /^-?\d+$/.test(String(ref))) {
    const i = Number(ref);
    const layer = layers[i < 0 ? layers.length + i : i];
    if (layer) return layer;
    throw new DeepvisError(
      `layer index ${ref} out of range; the model has ${layers.length} layers (0–${layers.length - 1})`,
    );
  }
  const exact = layers.find((l) => l.name === ref) ?? layers.find((l) => l.aliases?.includes(ref));
  if (exact) return exact;
  const bySuffix = layers.filter((l) => l.name.endsWith('/' + ref));
  if (bySuffix.length === 1) return bySuffix[0];
  if (bySuffix.length > 1) {
    throw new DeepvisError(
      `layer '${ref}' is ambiguous; it matches ${listNames(bySuffix.map((l) => l.name))}`,
    );
  }
  throw new DeepvisError(
    unknownLayer(
      String(ref),
      layers.map((l) => l.name),
    ),
  );
}

/** Levenshtein distance (small strings: layer names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(
        Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)),
      );
    prev = row;
  }
  return prev[b.length];
}

/**
 * The names `ref` probably meant, best first: those ending in `.ref` or `/ref` (a PyTorch module
 * path: "layer4" for "net.layer4"), then those starting `ref.` (the block's modules), then the
 * names (or their last component) within a few edits of it.
 */
export function layerSuggestions(ref: string, names: readonly string[]): string[] {
  const lower = ref.toLowerCase();
  const suffix = names.filter(
    (n) =>
      /[./]$/.test(n.toLowerCase().slice(0, n.length - lower.length)) &&
      n.toLowerCase().endsWith(lower),
  );
  const inside = names.filter(
    (n) =>
      n.toLowerCase().startsWith(lower + '.') ||
      n.toLowerCase().startsWith(lower + '/') ||
      n.toLowerCase().includes('.' + lower + '.'),
  );
  const budget = Math.max(1, Math.floor(ref.length / 3));
  const near = names
    .map((n) => ({
      n,
      d: Math.min(...boundarySuffixes(n.toLowerCase()).map((t) => editDistance(lower, t))),
    }))
    .filter((x) => x.d <= budget)
    .sort((a, b) => a.d - b.d)
    .map((x) => x.n);
  return [...new Set([...suffix, ...inside, ...near])];
}

/** "net.layer4.0.conv1" → itself, "layer4.0.conv1", "0.conv1", "conv1". */
const boundarySuffixes = (name: string): string[] => [
  name,
  ...[...name.matchAll(/[./]/g)].map((m) => name.slice(m.index + 1)),
];

/**
 * "unknown layer 'layer4'; did you mean net.layer4? …": the suggestions, then the layer list — when
 * it is long, the stretch around the best suggestion (where the name would be), not its first 30.
 */
export function unknownLayer(ref: string, names: readonly string[]): string {
  const guesses = layerSuggestions(ref, names);
  const mean = guesses.length
    ? `; did you mean ${guesses.slice(0, 3).join(' or ')}${guesses.length > 3 ? ` (or ${guesses.length - 3} more)` : ''}?`
    : '';
  const WINDOW = 8;
  if (names.length <= 30 || !guesses.length)
    return `unknown layer '${ref}'${mean || ';'} known: ${listNames(names)}`;
  const at = names.indexOf(guesses[0]);
  const from = Math.max(0, at - WINDOW);
  const to = Math.min(names.length, at + WINDOW + 1);
  return `unknown layer '${ref}'${mean} layers near it: ${from > 0 ? '…, ' : ''}${names.slice(from, to).join(', ')}${to < names.length ? ', …' : ''} (${names.length} in all; deepvis inspect lists them)`;
}
