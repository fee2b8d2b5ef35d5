/**
 * tfjs keeps every tensor a gradient will need on its tape, and frees them only when the backward
 * pass completes. When the forward or backward pass throws (a failing objective, an op without a
 * gradient), those tensors stay alive and the tape lingers. After catching such an error, deepvis
 * frees them the way tfjs would have (only at gradient depth 0, i.e. outside any outer gradient).
 */
import { clearActiveTape, tapeState } from './internals.js';

export function releaseTapeAfterError(): void {
  const state = tapeState();
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  clearActiveTape();
}

/** True while a gradient is being recorded: a forward pass then has to run on tfjs, on the tape. */
export function recordingGradients(): boolean {
  return tapeState().gradientDepth > 0;
}

/** How many gradients are being recorded around this point (1 inside one tf.grad, 2 inside a gradient of a gradient). */
export function gradientDepth(): number {
  return tapeState().gradientDepth;
}
