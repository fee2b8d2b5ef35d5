/**
 * DeepvisError: the one error type a user should ever see. It carries a message that names the
 * problem (the file, the layer, the unit, the shape) so the CLI can print one line and exit non-zero.
 */
export class DeepvisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeepvisError';
  }
}

export function fail(message: string): never {
  throw new DeepvisError(message);
}

/** Lists at most `max` names, so "unknown layer X; known: a, b, c" stays one readable line. */
export function listNames(names: readonly string[], max = 30): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}
