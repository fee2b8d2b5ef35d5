/**
 * Layer names a researcher knows, for formats whose nodes have paths instead of layer names.
 * PyTorch's ONNX export names a node by its module scope, `/layer3/layer3.1/conv2/Conv`: its short
 * name is the module path `layer3.1.conv2`. A tfjs graph converted from Keras names it
 * `StatefulPartitionedCall/model_1/block3_sepconv2_act/Relu`: its short name is the Keras layer
 * `block3_sepconv2_act`. A scope holding several nodes gives its name to the last of them (the
 * module's output, what a forward hook sees); the others are `scope/Op`. Every enclosing module
 * (`layer3.1`, `layer3`) becomes an alias of its last node, and full node names stay accepted.
 */

export interface NamedNode {
  readonly name: string;
  readonly aliases: readonly string[];
  /** The module paths enclosing the node, outermost first (empty for an unscoped name). */
  readonly scopes: readonly string[];
}

/** PyTorch scope segments → module path: `layer3`, `layer3.1`, `conv2` → `layer3.1.conv2`. */
function modulePath(segments: readonly string[]): string {
  const parts: string[] = [];
  for (const seg of segments) {
    if (parts.length && seg.startsWith(parts[parts.length - 1] + '.'))
      parts[parts.length - 1] = seg;
    else parts.push(seg);
  }
  return parts.join('.');
}

interface Scoped {
  readonly full: string;
  /** Module scopes from outermost to innermost, as short names. */
  readonly scopes: readonly string[];
  readonly leaf: string;
}

function torchScopes(full: string): Scoped | null {
  if (!full.startsWith('/')) return null;
  const segs = full.slice(1).split('/');
  if (segs.length < 2) return null;
  const inner = segs.slice(0, -1);
  return {
    full,
    leaf: segs[segs.length - 1],
    scopes: inner.map((_, i) => modulePath(inner.slice(0, i + 1))),
  };
}

const KERAS_WRAPPERS =
  /^(StatefulPartitionedCall(_\d+)?|PartitionedCall(_\d+)?|model(_\d+)?|sequential(_\d+)?|functional(_\d+)?)$/;

function kerasScopes(full: string): Scoped | null {
  const segs = full.split('/');
  while (segs.length > 1 && KERAS_WRAPPERS.test(segs[0])) segs.shift();
  if (segs.length < 2) return null;
  return { full, leaf: segs[segs.length - 1], scopes: [segs.slice(0, -1).join('/')] };
}

/** Short names (unique) and aliases for nodes listed in graph order. */
export function shortNames(fullNames: readonly string[], style: 'torch' | 'keras'): NamedNode[] {
  const scoped = fullNames.map((n) => (style === 'torch' ? torchScopes(n) : kerasScopes(n)));
  const lastOf = new Map<string, number>();
  scoped.forEach((s, i) => s?.scopes.forEach((sc) => lastOf.set(sc, i)));
  const taken = new Set<string>();
  const unique = (n: string) => {
    let name = n;
    for (let k = 2; taken.has(name); k++) name = `${n}#${k}`;
    taken.add(name);
    return name;
  };
  return scoped.map((s, i) => {
    const full = fullNames[i];
    if (!s) {
      const bare = style === 'torch' ? full.replace(/^\//, '') : full;
      const name = unique(bare);
      return { name, aliases: name !== full ? [full] : [], scopes: [] };
    }
    const own = s.scopes[s.scopes.length - 1];
    const name = unique(lastOf.get(own) === i ? own : `${own}/${s.leaf}`);
    const enclosing = s.scopes.slice(0, -1).filter((sc) => lastOf.get(sc) === i && sc !== name);
    return { name, aliases: [...enclosing, ...(full !== name ? [full] : [])], scopes: s.scopes };
  });
}
