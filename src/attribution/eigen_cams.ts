/**
 * EigenCAM (Muhammad & Yeasin 2020) and EigenGradCAM (pytorch-grad-cam): the projection of a
 * spatial layer's activations — or of gradient × activation — onto their first principal
 * component: X [h·w, K] centred per channel, the map X·v₁ with v₁ the top right singular vector, its
 * sign chosen so that its largest magnitude is positive (pytorch-grad-cam's sign correction, Chung &
 * Ying 2025: SVD's sign is arbitrary), then the CAM base's ReLU and upsampling. v₁ (or, when
 * h·w < K, the top left singular vector u₁, X·v₁ = σ₁u₁) comes from power iteration on the smaller
 * Gram matrix, to full precision.
 */
import * as tf from '@tensorflow/tfjs';
import { camMethod, type CamInputs, type CamSpec } from './cam.js';

/** X·v₁ for X [rows × cols] (centred per column here), by power iteration on the smaller Gram matrix. */
export function firstComponent(data: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const x = Float64Array.from(data);
  for (let j = 0; j < cols; j++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m += x[i * cols + j];
    m /= rows;
    for (let i = 0; i < rows; i++) x[i * cols + j] -= m;
  }
  const byRows = rows <= cols;
  const n = byRows ? rows : cols;
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      if (byRows) for (let k = 0; k < cols; k++) s += x[a * cols + k] * x[b * cols + k];
      else for (let k = 0; k < rows; k++) s += x[k * cols + a] * x[k * cols + b];
      gram[a * n + b] = gram[b * n + a] = s;
    }
  let v = Float64Array.from({ length: n }, (_, i) => 1 + i / n);
  let lambda = 0;
  for (let iter = 0; iter < 5000; iter++) {
    const next = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += gram[a * n + b] * v[b];
      next[a] = s;
    }
    const norm = Math.hypot(...next);
    if (norm === 0) return new Float64Array(rows);
    for (let a = 0; a < n; a++) next[a] /= norm;
    const moved = next.reduce((s, q, a) => Math.max(s, Math.abs(q - v[a])), 0);
    [v, lambda] = [next, norm];
    if (moved < 1e-13) break;
  }
  const proj = byRows
    ? Float64Array.from(v, (u) => u * Math.sqrt(lambda))
    : Float64Array.from({ length: rows }, (_, i) => {
        let s = 0;
        for (let k = 0; k < cols; k++) s += x[i * cols + k] * v[k];
        return s;
      });
  const [lo, hi] = [Math.min(...proj), Math.max(...proj)];
  return Math.abs(lo) > Math.abs(hi) ? proj.map((p) => -p) : proj;
}

/** The first-component map of each image of t [N, h, w, K], as [N, h, w, 1]. */
function projections(t: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, k] = t.shape;
  const data = t.dataSync();
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++)
    out.set(firstComponent(data.subarray(i * h * w * k, (i + 1) * h * w * k), h * w, k), i * h * w);
  return tf.tensor4d(out, [n, h, w, 1]);
}

const EIGEN_CAM: CamSpec = {
  name: 'eigencam',
  idea: "The map is the first principal component of the layer's activations over positions, projected back onto the map, with no gradient and no target. It shows what dominates the layer's representation, the same for every class.",
  title: 'EigenCAM',
  short: 'eigencam',
  paper: 'Muhammad & Yeasin 2020',
  summary: "the activations' projection on their first principal component (no gradient, no class)",
  gradients: false,
  image: ({ a }: CamInputs) => projections(a),
};

const EIGEN_GRAD_CAM: CamSpec = {
  name: 'eigengradcam',
  idea: "The first principal component of the activations weighted by the target's gradients, so the dominant pattern becomes class specific. It is smoother than Grad-CAM and keeps a class signal, unlike EigenCAM.",
  title: 'EigenGradCAM',
  short: 'eigengrad',
  paper: 'Muhammad & Yeasin 2020; pytorch-grad-cam',
  summary: 'the first principal component of gradient × activation',
  gradients: true,
  image: ({ a, g }: CamInputs) => tf.tidy(() => projections(g!.mul(a) as tf.Tensor4D)),
};

export const eigenCamMethod = camMethod(EIGEN_CAM);
export const eigenGradCamMethod = camMethod(EIGEN_GRAD_CAM);
