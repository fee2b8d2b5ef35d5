/** Checked layer references: by exact name, unique name suffix (graph node paths), or index. */
import { DeepvisError, listNames } from '../errors.js';
import type { LayerInfo } from './types.js';

export const PRE = ':pre';

export function findLayer(layers: readonly LayerInfo[], ref: string | number): LayerInfo {
  if (typeof ref === 'string' && ref.endsWith(PRE)) {
    const base = findLayer(layers, ref.slice(0, -PRE.length));
    if (!base.activation) {
      throw new DeepvisError(`layer '${base.name}' has no fused activation, so it has no separate pre-activation (${ref})`);
    }
    return { ...base, name: base.name + PRE, kind: `${base.kind} (pre-${base.activation})`, activation: undefined };
  }
  if (typeof ref === 'number' || /^-?\d+$/.test(String(ref))) {
    const i = Number(ref);
    const layer = layers[i < 0 ? layers.length + i : i];
    if (layer) return layer;
    throw new DeepvisError(`layer index ${ref} out of range; the model has ${layers.length} layers (0–${layers.length - 1})`);
  }
  const exact = layers.find((l) => l.name === ref) ?? layers.find((l) => l.aliases?.includes(ref));
  if (exact) return exact;
  const bySuffix = layers.filter((l) => l.name.endsWith('/' + ref));
  if (bySuffix.length === 1) return bySuffix[0];
  if (bySuffix.length > 1) {
    throw new DeepvisError(`layer '${ref}' is ambiguous; it matches ${listNames(bySuffix.map((l) => l.name))}`);
  }
  throw new DeepvisError(`unknown layer '${ref}'; known: ${listNames(layers.map((l) => l.name))}`);
}
