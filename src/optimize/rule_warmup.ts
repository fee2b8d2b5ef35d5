/**
 * Backward rules for the first steps of a run only (Xplique's warmup_steps: a leaky ReLU until the
 * optimization is under way, then the true network). A `*Steps` generator yields once at the end
 * of each optimization step (optimizeSteps), and before that, within a step, only `Ahead` work
 * (drive.ts); tfjs looks a kernel's gradient up when the forward pass records it, so wrapping
 * every `next()` of the first `count` steps in engine/rules.ts's withRules swaps the rule for
 * exactly those steps.
 */
import { withRules, type BackwardRules } from '../engine/rules.js';
import { Ahead, type Steps } from './drive.js';

export function* rulesForFirst<R>(steps: Steps<R>, rules: BackwardRules, count: number): Steps<R> {
  for (let done = 0; ;) {
    const r = done < count ? withRules(rules, () => steps.next()) : steps.next();
    if (r.done) return r.value;
    if (!(r.value instanceof Ahead)) done++;
    yield r.value;
  }
}
