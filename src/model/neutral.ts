/**
 * The value an image returns to when a regularizer "zeroes" it or a square occludes it — a fact of
 * the model's input: the dark background of one-channel data sets such as MNIST (grey would add
 * ink), mid-grey for colour images (Zeiler's grey square).
 */
import type { InputSpec } from './types.js';

export function neutral(model: { readonly input: InputSpec }): number {
  const [lo, hi] = model.input.range;
  return model.input.shape[2] === 1 ? lo : (lo + hi) / 2;
}
