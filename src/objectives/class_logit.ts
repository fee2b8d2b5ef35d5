/**
 * Class objective: the score of class k for batch item i, read before the softmax where the model
 * has one (Simonyan et al. 2014, and Cavojska 2015 §6: "draw a typical banana"). Maximizing a
 * probability instead would also reward lowering every other class, which makes noisier images.
 */
import { DeepvisError } from '../errors.js';
import type { VisModel } from '../model/types.js';
import type { Objective } from './objective.js';
import { units } from './units.js';

/** The layer whose units are classes: the logits layer if known, else the last layer. */
export function classLayer(model: VisModel): string {
  return model.logitsLayer ?? model.layers[model.layers.length - 1].name;
}

/** Item i maximizes class `perItem[i]` (an index, or a label name when the model has labels). */
export function classLogit(model: VisModel, perItem: readonly (number | string)[]): Objective {
  const layer = model.layer(classLayer(model));
  const ids = perItem.map((c) => {
    if (typeof c === 'number') return c;
    const k = model.labels?.indexOf(c) ?? -1;
    if (k < 0)
      throw new DeepvisError(
        `unknown class '${c}'; known: ${(model.labels ?? []).join(', ') || 'none (the model has no labels; use indices)'}`,
      );
    return k;
  });
  if (layer.outputShape.length !== 1)
    throw new DeepvisError(
      `layer '${layer.name}' is not a class layer (output ${layer.outputShape.join('×')})`,
    );
  return units(layer, ids);
}
