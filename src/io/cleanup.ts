/**
 * What to remove when the process ends without finishing its work: the registered cleanups run
 * synchronously on 'exit' (a process.exit from the last-resort handler, an early return).
 * Deliberately no SIGINT/SIGTERM handler: most of deepvis's work is synchronous wasm, during which
 * Node cannot run a JS signal handler, so intercepting the signal would make Ctrl-C wait for the
 * whole computation. A killed process is cleaned up from outside instead — see the watchdog in
 * output.ts.
 */
const pending = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const fn of [...pending]) {
    try {
      fn();
    } catch {
      // Best effort: one failed removal must not keep the others from running.
    }
  }
  pending.clear();
}

/** Registers a synchronous cleanup; the returned function unregisters it (after normal completion). */
export function onExit(fn: () => void): () => void {
  pending.add(fn);
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
  }
  return () => {
    pending.delete(fn);
  };
}
