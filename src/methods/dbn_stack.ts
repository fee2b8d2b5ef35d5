/**
 * What sampling a deep belief net needs from a model (Erhan et al. 2009 §4): deepvis's stack metadata (the
 * RBMs' visible biases, written by `deepvis train --arch dbn|rbm`) and a hidden layer h1, h2, …;
 * anything else is refused with one line that says what to sample instead.
 */
import { DeepvisError } from '../errors.js';
import type { LayerInfo, VisModel } from '../model/types.js';

export interface StackMeta {
  kind?: string;
  finetuned?: boolean;
  visible?: 'binary' | 'gaussian';
  visibleBiases?: number[][] | null;
}

/** The stack, the layer and its depth j (h_j). */
export function dbnLayer(
  model: VisModel,
  name: string,
): { stack: StackMeta & { visibleBiases: number[][] }; layer: LayerInfo; j: number } {
  const stack = model.metadata.stack as StackMeta | undefined;
  if (!stack || stack.kind !== 'dbn' || !stack.visibleBiases) {
    throw new DeepvisError(
      'sampling needs a deep belief net trained by deepvis (deepvis train --arch dbn|rbm): this model has no RBM visible biases',
    );
  }
  if (stack.finetuned) {
    throw new DeepvisError(
      "this DBN was fine-tuned with a classifier, so its weights no longer form the RBMs' generative model; sample its pre-trained twin (the pretrained/ folder that deepvis train writes next to it)",
    );
  }
  const layer = model.layer(name);
  const m = /^h(\d+)$/.exec(layer.name);
  if (!m) throw new DeepvisError(`'${layer.name}' is not a hidden layer of the DBN (h1, h2, …)`);
  const j = Number(m[1]);
  return { stack: stack as StackMeta & { visibleBiases: number[][] }, layer, j };
}
