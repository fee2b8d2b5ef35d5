/**
 * The tfjs copies of an ONNX model's weights, made when a tfjs path first needs them. A model whose
 * forwards and gradients run on onnxruntime (engine/onnxruntime.ts) may never need them: ViT-B/16
 * held 409 MB of weights in tfjs's wasm heap that no pass read, and its load spent most of its time
 * copying and transposing them. A lazy weight knows its initializer's name and how to build its
 * tfjs tensor from the values; the first `get()` of any of them re-reads the file (checked against
 * the hash of the bytes loaded: io/model_files.ts) and builds them all at once. While the loader's shape probes run, a
 * weight not made yet stands in as zeros of its shape, one tensor per shape (the products answer
 * zeros anyway).
 */
import * as tf from '@tensorflow/tfjs';
import { inShapeProbe } from '../../../engine/shape_probe.js';
import { DeepvisError } from '../../../errors.js';
import { initializersOf, type HostTensor } from './decode.js';

/** One tfjs tensor of a node's parameters, made now or on first use. */
export interface Weight<T extends tf.Tensor = tf.Tensor> {
  readonly shape: readonly number[];
  get(): T;
}

/** A weight already made. */
export const ready = <T extends tf.Tensor>(t: T): Weight<T> => ({ shape: t.shape, get: () => t });

interface Pending {
  readonly name: string;
  readonly build: (h: HostTensor) => tf.Tensor;
  made: tf.Tensor | null;
}

/** A program's weights: `kept` is every tfjs tensor made so far (disposed with the model). */
export class WeightStore {
  readonly kept: tf.Tensor[] = [];
  private readonly loaded = new Map<tf.Tensor, object>();
  private readonly pending: Pending[] = [];

  /**
   * `reread` gives the file's bytes again (null: every weight is made at load); `initializers` are
   * the names it can read back. `source` names the file in errors.
   */
  constructor(
    private readonly source: string,
    private readonly reread: (() => Uint8Array) | null,
    private readonly initializers: ReadonlySet<string> = new Set(),
  ) {}

  /** A weight made now. */
  keep<T extends tf.Tensor>(t: T): T {
    this.kept.push(t);
    this.loaded.set(t, t.dataId);
    return t;
  }

  /** Whether the weight read from tensor `name` can wait for its first use. */
  canWait(name: string): boolean {
    return this.reread != null && this.initializers.has(name);
  }

  /** The weight `build` makes from initializer `name`'s values, of shape `shape`, on first use. */
  later<T extends tf.Tensor>(
    name: string,
    shape: readonly number[],
    build: (h: HostTensor) => T,
  ): Weight<T> {
    const p: Pending = { name, build, made: null };
    this.pending.push(p);
    return {
      shape,
      get: () => {
        if (p.made) return p.made as T;
        if (inShapeProbe()) return this.standIn(shape) as T;
        this.makeAll();
        return p.made as unknown as T;
      },
    };
  }

  private readonly standIns = new Map<string, tf.Tensor>();

  /** Zeros of `shape` for the shape probes, one per shape (ViT-B/16 has six for its 150 weights). */
  private standIn(shape: readonly number[]): tf.Tensor {
    const key = shape.join(',');
    let t = this.standIns.get(key);
    if (!t) this.standIns.set(key, (t = tf.keep(tf.zeros([...shape]))));
    return t;
  }

  /** The loader's probes are over: their stand-ins go. */
  probed(): void {
    tf.dispose([...this.standIns.values()]);
    this.standIns.clear();
  }

  /** Why the weights cannot be made (the file changed since it was loaded), once known. */
  private failed: Error | null = null;

  /**
   * Makes every weight not made yet, from one re-read of the file. A file changed on disk since
   * the load cannot give them: every tfjs path of the model then fails with that one line, without
   * reading the file again (load the model again).
   */
  makeAll(): void {
    const todo = this.pending.filter((p) => !p.made);
    if (!todo.length) return;
    if (this.failed) throw this.failed;
    let bytes: Uint8Array;
    try {
      bytes = this.reread!();
    } catch (e) {
      this.failed =
        e instanceof DeepvisError
          ? new DeepvisError(`${e.message}; its weights for tfjs cannot be made: load it again`)
          : (e as Error);
      throw this.failed;
    }
    const values = initializersOf(bytes, this.source, new Set(todo.map((p) => p.name)));
    for (const p of todo) {
      const h = values.get(p.name);
      if (!h) throw new Error(`${this.source}: initializer '${p.name}' is gone from the file`);
      // Kept: a first use inside a tidy (a pass) must not free the model's weights at its end.
      p.made = this.keep(tf.keep(p.build(h)));
    }
  }

  /** Whether every weight made so far still holds the data it was made with (no in-place edit). */
  asLoaded(): boolean {
    for (const [t, id] of this.loaded) if (t.dataId !== id) return false;
    return true;
  }

  dispose(): void {
    tf.dispose(this.kept);
    this.kept.length = 0;
    this.loaded.clear();
    for (const p of this.pending) p.made = null;
  }
}
