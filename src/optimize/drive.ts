/**
 * Methods are generators that yield between optimization steps, so one implementation serves both
 * callers: Node and tests drain them synchronously; the web app drives them a slice of steps at a
 * time and returns to the event loop in between (the page stays responsive, the progress bar
 * moves, the cancel button works through the method's `signal`).
 */
export type Steps<R> = Generator<unknown, R, void>;

export function drain<R>(steps: Steps<R>): R {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/** Runs steps for about `sliceMs` at a time, yielding to the event loop in between. */
export async function drive<R>(steps: Steps<R>, sliceMs = 40): Promise<R> {
  let start = performance.now();
  let r = steps.next();
  while (!r.done) {
    if (performance.now() - start > sliceMs) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      start = performance.now();
    }
    r = steps.next();
  }
  return r.value;
}
