/**
 * ONNX `pads` / `auto_pad` of a 2-D convolution or pool as explicit [top, left, bottom, right] for
 * an input of h×w: one reading for the importer (ops_nn.ts) and the gradient builder (grad/vjp_nn.ts),
 * so both pad alike.
 */
export type Pads = [number, number, number, number];

/** What both callers offer: a node's attributes, its op and a one-line refusal. */
export interface PadSource {
  attr<T>(name: string, fallback: T): T;
  fail(message: string): never;
  readonly node: { readonly op: string };
}

export function padsOf(
  v: PadSource,
  h: number,
  w: number,
  k: readonly number[],
  s: readonly number[],
  d: readonly number[],
): Pads {
  const auto = v.attr<string>('auto_pad', 'NOTSET');
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const total = [h, w].map((n, i) =>
      Math.max(0, (Math.ceil(n / s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n),
    );
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, i) => t - small[i]);
    return auto === 'SAME_UPPER'
      ? [small[0], small[1], big[0], big[1]]
      : [big[0], big[1], small[0], small[1]];
  }
  const p = v.attr<number[]>('pads', [0, 0, 0, 0]);
  if (p.length !== 4) v.fail(`only 2-D ${v.node.op} is supported (pads ${JSON.stringify(p)})`);
  return [p[0], p[1], p[2], p[3]];
}
