/**
 * VJP rules of the normalizations (Ba et al. 2016's layer norm; Zhang & Sennrich 2019's RMS norm;
 * Wu & He 2018's group norm, of which instance norm is the G = C case). With x̂ the normalized
 * input, σ⁻¹ its inverse deviation and ĝ = dy·γ, over the normalized axes:
 *   layer / group / instance: dx = σ⁻¹ (ĝ − mean ĝ − x̂ · mean(ĝ x̂));  RMS: dx = σ⁻¹ (ĝ − x̂ · mean(ĝ x̂)).
 * The forward keeps x̂ and σ⁻¹ (recomputed by the gradient graph from x, or read from LayerNormalization's
 * own Mean and InvStdDev outputs).
 */
import { reduceMean } from './vjp_shape.js';
import type { HostTensor } from '../decode.js';
import type { Vjp, VjpRule, VjpTable } from './vjp_types.js';

const norm = (a: number, r: number) => (a < 0 ? a + r : a);

/** σ⁻¹ (ĝ − [mean ĝ] − x̂ · mean(ĝ x̂)) over `axes` of the tensors given. */
function standardizedVjp(
  v: Vjp,
  gs: string,
  xhat: string,
  inv: string,
  axes: readonly number[],
  centred: boolean,
): string {
  const proj = v.op('Mul', [xhat, reduceMean(v, v.op('Mul', [gs, xhat]), axes)]);
  const base = centred ? v.op('Sub', [gs, reduceMean(v, gs, axes)]) : gs;
  return v.op('Mul', [inv, v.op('Sub', [base, proj])]);
}

const trailing = (v: Vjp) => {
  const rank = v.shape(v.x()).length;
  const from = norm(v.attr('axis', -1), rank);
  return Array.from({ length: rank - from }, (_, k) => from + k);
};

const noComputedParams = (v: Vjp, from: number) => {
  for (let i = from; i < v.node.inputs.length; i++)
    if (v.node.inputs[i] && v.needs(i)) v.fail('computed scale or bias is not supported');
};

const layerNorm: VjpRule = (v) => {
  noComputedParams(v, 1);
  const axes = trailing(v);
  const mean = v.extraOutput(1),
    inv = v.extraOutput(2);
  const xhat = v.op('Mul', [v.op('Sub', [v.x(), mean]), inv]);
  const gs = v.node.inputs[1] ? v.op('Mul', [v.dy, v.x(1)]) : v.dy;
  return [standardizedVjp(v, gs, xhat, inv, axes, true), null, null];
};

const rmsNorm: VjpRule = (v) => {
  noComputedParams(v, 1);
  const axes = trailing(v);
  const eps = v.attr('epsilon', 1e-5);
  const inv = v.op('Reciprocal', [
    v.op('Sqrt', [
      v.op('Add', [reduceMean(v, v.op('Mul', [v.x(), v.x()]), axes), v.floats([eps], [])]),
    ]),
  ]);
  const xhat = v.op('Mul', [v.x(), inv]);
  const gs = v.node.inputs[1] ? v.op('Mul', [v.dy, v.x(1)]) : v.dy;
  return [standardizedVjp(v, gs, xhat, inv, axes, false), null];
};

/** Group norm (G groups; instance norm: G = C): statistics per image and group, per-channel scale. */
function groupNorm(
  groupsOf: (v: Vjp) => number,
  weights: (name: string) => HostTensor | undefined,
): VjpRule {
  return (v) => {
    noComputedParams(v, 1);
    const shape = v.shape(v.x());
    const c = shape[1],
      groups = groupsOf(v);
    const eps = v.attr('epsilon', 1e-5);
    const grouped = (t: string) => v.op('Reshape', [t, v.ints([0, groups, -1])]);
    const xg = grouped(v.x());
    const mean = reduceMean(v, xg, [2]);
    const centred = v.op('Sub', [xg, mean]);
    const inv = v.op('Reciprocal', [
      v.op('Sqrt', [
        v.op('Add', [reduceMean(v, v.op('Mul', [centred, centred]), [2]), v.floats([eps], [])]),
      ]),
    ]);
    const xhat = v.op('Mul', [centred, inv]);
    let gs = v.dy;
    if (v.node.inputs[1]) {
      const h = weights(v.x(1)) ?? v.fail('its scale must be a float constant');
      const per =
        h.data.length === c
          ? Float32Array.from(h.data)
          : Float32Array.from({ length: c }, (_, k) =>
              Number(h.data[Math.floor(k / (c / groups))]),
            );
      gs = v.op('Mul', [v.dy, v.floats(per, [c, ...shape.slice(2).map(() => 1)])]);
    }
    const dx = standardizedVjp(v, grouped(gs), xhat, inv, [2], true);
    return [v.op('Reshape', [dx, v.op('Shape', [v.x()])]), null, null];
  };
}

export function normVjp(weights: (name: string) => HostTensor | undefined): VjpTable {
  return {
    LayerNormalization: layerNorm,
    RMSNormalization: rmsNorm,
    GroupNormalization: groupNorm((v) => v.attr('num_groups', 1), weights),
    InstanceNormalization: groupNorm((v) => v.shape(v.x())[1], weights),
  };
}
