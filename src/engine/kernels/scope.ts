/**
 * KernelScope: composes backend kernels below the engine, the way tfjs's own backends build one
 * kernel from others. Intermediate results are backend data (not Tensors), so nothing is recorded on
 * the gradient tape and nothing is counted as a tensor; every temporary is freed in dispose().
 */
import * as tf from '@tensorflow/tfjs';

type Attrs = Record<string, unknown>;

export class KernelScope {
  private readonly temps: tf.TensorInfo[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: Record<string, tf.TensorInfo>, attrs: Attrs = {}): tf.TensorInfo {
    const config = tf.getKernel(kernelName, this.backendName);
    if (config == null)
      throw new Error(`deepvis engine: kernel ${kernelName} missing on ${this.backendName}`);
    const out = config.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.backend,
      attrs: attrs as tf.NamedAttrMap,
    });
    const result = Array.isArray(out) ? out[0] : out;
    this.temps.push(result);
    return result;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Pads, or crops where a padding is negative; `pads` is [before, after] per axis. */
  padOrCrop(x: tf.TensorInfo, pads: Array<[number, number]>): tf.TensorInfo {
    let out = x;
    if (pads.some(([a, b]) => a < 0 || b < 0)) {
      const begin = pads.map(([a]) => Math.max(0, -a));
      const size = pads.map(([a, b], i) => x.shape[i] - Math.max(0, -a) - Math.max(0, -b));
      out = this.run('Slice', { x: out }, { begin, size });
    }
    if (pads.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = pads.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** Takes a result computed outside the scope's run() as one of its own temporaries. */
  adopt(t: tf.TensorInfo): tf.TensorInfo {
    this.temps.push(t);
    return t;
  }

  owns(t: tf.TensorInfo): boolean {
    return this.temps.includes(t);
  }

  /** Leaves `t` alive past dispose(): the kernel's output. */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    // A Reshape output shares its dataId with its source (ref-counted), so freeing the source
    // only drops a reference; removing `t` itself is enough.
    const i = this.temps.lastIndexOf(t);
    if (i >= 0) this.temps.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a fresh scope and frees every temporary but the returned one. */
export function withScope(
  backend: tf.KernelBackend,
  backendName: string,
  body: (s: KernelScope) => tf.TensorInfo,
): tf.TensorInfo {
  const scope = new KernelScope(backend, backendName);
  try {
    const out = body(scope);
    // A body that returns one of its inputs gives the caller its own reference to it.
    return scope.keep(scope.owns(out) ? out : scope.run('Identity', { x: out }));
  } finally {
    scope.dispose();
  }
}
