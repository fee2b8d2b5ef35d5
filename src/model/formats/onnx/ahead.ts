/**
 * An ONNX model's gradients run ahead of the tape on an engine that runs graphs only
 * asynchronously (issue 26, item 6: onnxruntime-web on WebGPU in the page). The optimization loop
 * asks before each step's tape pass (VisModel.gradientAhead); when the model's native tape op
 * predicts the step's tap gradients (the last two passes brought the same: a linear objective),
 * the model's fused gradient graph runs on the engine for the step's images, and the op is offered
 * the taps and input gradient, which the tape pass takes when the gradient that arrives is the one
 * predicted (engine/native_gradient.ts). Otherwise that pass runs on the tape's own engine.
 *
 * Failures stay local: a graph the engine fails on runs no more ahead (its steps stay on the tape's
 * engine, and `why` says so); an engine that does not answer in time is detached, so a step never
 * waits for a hung device.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AsyncGraphs, HostArray } from '../../../engine/forward_runner.js';
import { aheadKey } from '../../../engine/native_gradient.js';
import { activeRules, rulesKey } from '../../../engine/rules.js';
import type { OnnxGradients } from './grad/native.js';

/**
 * How long a run may take before the engine counts as hung: the first (it opens the session too)
 * `firstMs`, later ones `factor` times the longest so far but at least `floorMs`. Tests shorten it.
 */
export const aheadWait = { firstMs: 60_000, floorMs: 10_000, factor: 20 };

/** What the adapter tells the runs: its native gradients, the taps of layers, the image as the tape's op sees it. */
export interface AheadModel {
  /** The model's native gradients when they route there now, else null. */
  native(): OnnxGradients | null;
  /** The ONNX tensors of these layers' taps, deduplicated in order, or null when a tap has no graph tensor. */
  taps(layers: readonly string[]): string[] | null;
  /** The images `x()` makes, in the model's native input form (as the tape pass hands them to the op); frees the rest. */
  nativeImage(x: () => tf.Tensor4D): tf.Tensor;
  /** A batch size every native run must have, if the graph fixes one. */
  readonly fixedBatch: number | null;
}

interface GraphNames {
  readonly x: string;
  readonly dys: readonly string[];
  readonly taps: readonly string[];
  readonly dx: string;
}

export class AheadRuns {
  private engine: AsyncGraphs | null = null;
  private why = 'none attached';
  private runs = 0;
  private used = 0;
  private longestMs = 0;
  /** Each fused graph's tensor names (its bytes are built again when the engine drops its session). */
  private readonly names = new Map<string, GraphNames>();
  /** Graphs the engine failed on: their steps stay on the tape's engine. */
  private readonly failed = new Set<string>();

  constructor(private readonly model: AheadModel) {}

  use(engine: AsyncGraphs | null): void {
    this.engine = engine;
    this.failed.clear();
    this.longestMs = 0;
    this.why = engine ? `attached: ${engine.name}` : 'none attached';
  }

  get stats() {
    return { runs: this.runs, used: this.used, engine: this.engine, why: this.why };
  }

  /** VisModel.gradientAhead. */
  prepare(layers: readonly string[], image: () => tf.Tensor4D): (() => Promise<void>) | null {
    const engine = this.engine;
    if (!engine || layers.length === 0) return null;
    const native = this.model.native();
    const rules = activeRules();
    // Rule sets whose runs pair or bind rows (DeepLIFT's rescale, LRP's bounds) stay on the tape's engine.
    if (!native || rules.relevance || rules.rescale) return null;
    const unique = this.model.taps(layers);
    if (!unique) return null;
    const graphKey = `${unique.join('\u0000')}|${rulesKey(rules)}`;
    if (this.failed.has(graphKey)) return null;
    const op = native.op(unique);
    const xt = this.model.nativeImage(image);
    const dims = xt.shape;
    const dys = op.prediction(dims);
    const fixed = this.model.fixedBatch;
    if (!dys || (fixed != null && dims[0] !== fixed)) {
      xt.dispose();
      return null;
    }
    const x: HostArray = { data: Float32Array.from(xt.dataSync() as Float32Array), dims };
    xt.dispose();
    const fail = (e: unknown) => {
      this.failed.add(graphKey);
      this.why = `${engine.name} failed on the gradient graph of ${layers.join(', ')} (${(e as Error).message.split('\n')[0]}); those steps run on ${native.engine}`;
    };
    const build = () => {
      const g = native.fusedGraph(unique, rules);
      this.names.set(graphKey, { x: g.x, dys: g.dys, taps: g.taps, dx: g.dx });
      return g;
    };
    let first = null as ReturnType<typeof build> | null;
    try {
      if (!this.names.has(graphKey)) first = build();
    } catch (e) {
      fail(e);
      return null;
    }
    const g = this.names.get(graphKey)!;
    const key = aheadKey(dims);
    return async () => {
      const feeds: Record<string, HostArray> = { [g.x]: x };
      dys.forEach((d, i) => (feeds[g.dys[i]] = d));
      const wait = this.longestMs
        ? Math.max(aheadWait.floorMs, aheadWait.factor * this.longestMs)
        : aheadWait.firstMs;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'late'>(
        (resolve) => (timer = setTimeout(() => resolve('late'), wait)),
      );
      const t0 = performance.now();
      try {
        const out = await Promise.race([
          engine.run(graphKey, () => first ?? build(), feeds, [...g.taps, g.dx]),
          late,
        ]);
        if (out === 'late') {
          // A hung engine is let go: later steps do not wait for it.
          if (this.engine === engine) this.use(null);
          this.why = `${engine.name} did not answer within ${(wait / 1000).toFixed(0)} s; runs ahead stopped`;
          return;
        }
        this.longestMs = Math.max(this.longestMs, performance.now() - t0);
        first = null;
        this.runs++;
        op.offer({
          key,
          x,
          dys,
          result: { taps: out.slice(0, -1), dx: out[out.length - 1] },
          taken: () => this.used++,
        });
      } catch (e) {
        if (this.engine === engine) fail(e);
      } finally {
        clearTimeout(timer);
      }
    };
  }
}
