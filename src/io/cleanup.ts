/**
 * What to remove when the process is interrupted: SIGINT/SIGTERM (and a process.exit from
 * anywhere) run every registered cleanup synchronously, so Ctrl-C leaves no temp file, staging
 * folder or lock behind. Process-wide by nature — signals are — and installed only while
 * something is registered.
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

const onSignal = (signal: NodeJS.Signals) => {
  runAll();
  process.exit(signal === 'SIGINT' ? 130 : 143);
};

function install(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', runAll);
}

function uninstall(): void {
  if (!installed || pending.size > 0) return;
  installed = false;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('exit', runAll);
}

/** Registers a synchronous cleanup; the returned function unregisters it (after normal completion). */
export function onInterrupt(fn: () => void): () => void {
  pending.add(fn);
  install();
  return () => {
    pending.delete(fn);
    uninstall();
  };
}
