/**
 * A backward pass that frees each gradient once it is used. tfjs 4.22's engine.gradients keeps the
 * gradient of every tensor on the path (tape.ts backpropagateGradients accumulates them in a map
 * and only the closing tidy frees them), so a backward pass holds a second copy of every
 * activation: for ResNet-18 at batch 8, ~300 MB that PyTorch never holds. Walking the tape in
 * reverse, the gradient of a node's outputs is dead once the node has given its inputs theirs (each
 * tensor has one producer and its consumers come later on the tape), so it is disposed there.
 * Each node's saved tensors go as soon as its inputs have their gradients, not when the pass ends.
 * Only first-order gradients take this path; a gradient inside a gradient keeps tfjs's own.
 */
import * as tf from '@tensorflow/tfjs';
import { replaceBackward, type BackwardParts, type TapeNode } from './internals.js';

/**
 * The nodes on a path from xs to y, in tape order, each with only the inputs that depend on xs
 * (what tfjs's own walk does in tape.ts getFilteredNodesXToY — not importable from the compiled
 * CLI: tfjs-core's ESM files import './util' without an extension, which Node refuses).
 */
function nodesFromXsToY(
  tape: readonly TapeNode[],
  xs: readonly tf.Tensor[],
  y: tf.Tensor,
): TapeNode[] {
  const fromXs = new Set(xs.map((x) => x.id));
  const reached = new Set<TapeNode>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromXs.has(t.id))) {
      reached.add(node);
      for (const o of node.outputs) fromXs.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const leads = new Set<TapeNode>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (!node.outputs.some((o) => toY.has(o.id))) continue;
    leads.add(node);
    for (const t of Object.values(node.inputs)) toY.add(t.id);
  }
  return tape
    .filter((n) => reached.has(n) && leads.has(n))
    .map((n) => ({
      ...n,
      inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromXs.has(t.id))),
    }));
}

function backprop(
  grads: Map<number, tf.Tensor>,
  tape: readonly TapeNode[],
  engine: BackwardParts,
  keep: ReadonlySet<tf.Tensor>,
): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (node.gradient == null)
      throw new Error(
        `Cannot compute gradient: gradient function not found for ${node.kernelName}.`,
      );
    const inputGradients = node.gradient(dys);
    for (const name in node.inputs) {
      if (!(name in inputGradients))
        throw new Error(
          `Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`,
        );
      const dx = engine.tidy('gradient', () => inputGradients[name]());
      const x = node.inputs[name];
      if (dx.dtype !== 'float32')
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
        );
      if (!tf.util.arraysEqual(dx.shape, x.shape))
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
        );
      const cur = grads.get(x.id);
      if (cur == null) grads.set(x.id, dx);
      else {
        grads.set(x.id, tf.add(cur, dx));
        release(grads, cur, keep);
        release(grads, dx, keep);
      }
    }
    // The node's saved tensors (its own clones, kept for this gradient alone) are done with too.
    for (const t of node.saved) t.dispose();
    for (const o of node.outputs) {
      const dy = grads.get(o.id);
      if (dy == null) continue;
      grads.delete(o.id);
      release(grads, dy, keep);
    }
  }
}

/**
 * Disposes `t` unless the caller owns it or a live gradient is the same object: an identity-like
 * gradient (`() => dy`) hands one tensor to several inputs.
 */
function release(
  grads: ReadonlyMap<number, tf.Tensor>,
  t: tf.Tensor,
  keep: ReadonlySet<tf.Tensor>,
): void {
  if (keep.has(t) || t.isDisposed) return;
  for (const v of grads.values()) if (v === t) return;
  t.dispose();
}

/** The lean walk in place of tfjs's (through the engine fence); higher-order gradients keep tfjs's own. */
export function installLeanBackward(): void {
  replaceBackward((engine, f, xs, dy, allowNoGradients) => {
    // Higher-order gradients (a gradient recorded inside another) keep tfjs's own walk.
    if (engine.state.gradientDepth > 0) return null;
    if (dy != null && dy.dtype !== 'float32')
      throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = engine.record(f);
    tf.util.assert(y instanceof tf.Tensor, () => 'The result y returned by f() must be a tensor.');
    const tape = nodesFromXsToY(engine.state.activeTape ?? [], xs, y);
    if (!allowNoGradients && tape.length === 0 && xs.length > 0) {
      throw new Error(
        'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.',
      );
    }
    return engine.tidy('backward', () => {
      const grads = new Map<number, tf.Tensor>();
      grads.set(y.id, dy ?? tf.ones(y.shape));
      // y itself, the caller's dy and the xs' gradients are what the caller gets back.
      backprop(grads, tape, engine, new Set<tf.Tensor>(dy ? [dy] : []));
      const out = xs.map((x) => grads.get(x.id)!);
      for (const node of engine.state.activeTape ?? []) for (const t of node.saved) t.dispose();
      engine.state.activeTape = null;
      return { value: y, grads: out } as never;
    });
  });
}
