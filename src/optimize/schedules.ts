/** Learning-rate policies for the optimization loop: a factor of the base rate per step. */
export type Schedule = (step: number, steps: number) => number;

export const constant: Schedule = () => 1;

/** Cosine decay from 1 to `floor` over the run: big moves first, fine detail at the end. */
export function cosine(floor = 0.1): Schedule {
  return (step, steps) =>
    floor + (1 - floor) * 0.5 * (1 + Math.cos((Math.PI * step) / Math.max(1, steps - 1)));
}

/** Multiply by `factor` every `every` steps. */
export function stepDecay(every: number, factor = 0.5): Schedule {
  return (step) => factor ** Math.floor(step / every);
}

/** Linear warm-up over the first `steps` steps (Adam's first moves are the largest). */
export function warmup(steps: number, then: Schedule = constant): Schedule {
  return (step, total) => Math.min(1, (step + 1) / steps) * then(step, total);
}
