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
/** The entry of `list` named `name`; an unknown name is one line listing the known ones. */
export function byName<T extends { readonly name: string }>(
  list: readonly T[],
  name: string,
  what = 'method',
): T {
  const found = list.find((x) => x.name === name);
  if (!found)
    throw new DeepvisError(
      `unknown ${what} '${name}'; known: ${listNames(list.map((x) => x.name))}`,
    );
  return found;
}

export function listNames(names: readonly string[], max = 30): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * Text from files and arguments made safe to print on one line: control characters (terminal
 * escapes, newlines, NUL) become \xNN / \n escapes, so a hostile file name cannot rewrite the
 * terminal or forge a second line.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\t') return '\\t';
    if (ch === '\r') return '\\r';
    const code = ch.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, '0')}`
      : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
