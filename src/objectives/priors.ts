/**
 * Image priors as objectives (negative penalties, per item), added to any other objective.
 * - totalVariation: Σ ((x[i,j+1]−x[i,j])² + (x[i+1,j]−x[i,j])²)^(β/2) — Mahendran & Vedaldi's
 *   TV^β (Cavojska 2015 §7), and the "neighbouring pixels should be correlated" prior of DeepDream
 *   (Cavojska 2015 §6). Normalized by the pixel count so weights carry across image sizes.
 * - normVariation: Ghiasi et al. 2022's form, Σ over four directions (across, down, both
 *   diagonals) of the mean over channels of ‖Δx‖₂ taken over the image plane.
 * - lpNorm: mean |x − centre|^α — M&V's bounded-range α-norm (α = 6 in their paper).
 * Both are computed on the image before robustness transforms.
 */
import * as tf from '@tensorflow/tfjs';
import { Objective } from './objective.js';

export function totalVariation(beta = 2): Objective {
  return new Objective(
    [],
    (_, x) => {
      const [n, h, w] = x.shape;
      const dx = x
        .slice([0, 0, 1, 0], [-1, h - 1, w - 1, -1])
        .sub(x.slice([0, 0, 0, 0], [-1, h - 1, w - 1, -1]));
      const dy = x
        .slice([0, 1, 0, 0], [-1, h - 1, w - 1, -1])
        .sub(x.slice([0, 0, 0, 0], [-1, h - 1, w - 1, -1]));
      const sq = dx.square().add(dy.square());
      const tv = beta === 2 ? sq : sq.add(1e-8).pow(beta / 2);
      return tv.reshape([n, -1]).mean(1).neg() as tf.Tensor1D;
    },
    `TV^${beta}`,
  );
}

export function normVariation(): Objective {
  return new Objective(
    [],
    (_, x) => {
      const [n, h, w] = x.shape;
      const shifted = (dy: number, dx: number) => {
        const a = x.slice(
          [0, Math.max(dy, 0), Math.max(dx, 0), 0],
          [-1, h - Math.abs(dy), w - Math.abs(dx), -1],
        );
        const b = x.slice(
          [0, Math.max(-dy, 0), Math.max(-dx, 0), 0],
          [-1, h - Math.abs(dy), w - Math.abs(dx), -1],
        );
        return a.sub(b).square().sum([1, 2]).add(1e-12).sqrt().mean(1);
      };
      return shifted(0, 1)
        .add(shifted(1, 0))
        .add(shifted(1, 1))
        .add(shifted(1, -1))
        .neg()
        .reshape([n]) as tf.Tensor1D;
    },
    'TV-norm',
  );
}

export function lpNorm(alpha = 6, centre = 0): Objective {
  return new Objective(
    [],
    (_, x) => x.sub(centre).abs().pow(alpha).reshape([x.shape[0], -1]).mean(1).neg() as tf.Tensor1D,
    `L${alpha}`,
  );
}
