/**
 * Backward rules for the first steps of a run only (Xplique's warmup_steps: a leaky ReLU until the
 * optimization is under way, then the true network). A `*Steps` generator runs exactly one
 * optimization step per `next()` (optimizeSteps yields at the end of each step), and tfjs looks a
 * kernel's gradient up when the forward pass records it, so wrapping each of the first `count`
 * `next()` calls in engine/rules.ts's withRules swaps the rule for exactly those steps.
 */
import { withRules, type BackwardRules } from '../engine/rules.js';
import type { Steps } from './drive.js';

export function* rulesForFirst<R>(steps: Steps<R>, rules: BackwardRules, count: number): Steps<R> {
  for (let i = 0; ; i++) {
    const r = i < count ? withRules(rules, () => steps.next()) : steps.next();
    if (r.done) return r.value;
    yield r.value;
  }
}
