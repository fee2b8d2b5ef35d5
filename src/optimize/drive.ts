/**
 * Methods are generators that yield between optimization steps, so one implementation serves both
 * callers: Node and tests drain them synchronously; the web app drives them a slice of steps at a
 * time and returns to the event loop in between (the page stays responsive, the progress bar
 * moves, the cancel button works through the method's `signal`).
 *
 * A step may also yield an `Ahead`: work on an asynchronous engine (the model's gradient on WebGPU
 * in the page) that the step's tape pass then finds done. A driver that can wait (`drive`) runs it
 * and waits; `drain` passes over it, and the step computes the same result without it.
 */
export type Steps<R> = Generator<unknown, R, void>;

/** Asynchronous work a step would like done before it goes on; the step's result never depends on it. */
export class Ahead {
  constructor(readonly run: () => Promise<void>) {}
}

export function drain<R>(steps: Steps<R>): R {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/** Runs steps for about `sliceMs` at a time, yielding to the event loop in between, and waiting for what a step runs ahead. */
export async function drive<R>(steps: Steps<R>, sliceMs = 40): Promise<R> {
  let start = performance.now();
  let r = steps.next();
  while (!r.done) {
    if (r.value instanceof Ahead) {
      try {
        await r.value.run();
      } catch (e) {
        // The steps end here too (their `finally`s free what they hold).
        steps.return(undefined as never);
        throw e;
      }
      start = performance.now();
    } else if (performance.now() - start > sliceMs) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      start = performance.now();
    }
    r = steps.next();
  }
  return r.value;
}
