/**
 * Input gradients on WebGPU (issue 26, item 6): onnxruntime-web's WebGPU build runs an ONNX
 * model's gradient graph for one layer (VisModel.gradientGraph: the image and a unit's seed in,
 * d(unit)/d(image) out). Its runs are asynchronous, which tfjs's tape cannot wait for, so only
 * views that can wait use it: the backprop view asks for a map, draws it when it comes, and skips
 * frames while a run is under way. Forwards stay where the engine choice put them.
 */
import type { engine, UnitGradientGraph, VisModel } from '../../../src/index.js';

type BackwardRules = engine.BackwardRules;

type Ort = typeof import('onnxruntime-web/webgpu');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> };
}

/** onnxruntime-web's WebGPU build, or why the page cannot have it (no WebGPU, no adapter). */
export async function loadWebGpu(wasmUrl: string): Promise<{ ort: Ort; adapter: string } | string> {
  const gpu = (navigator as GpuNavigator).gpu;
  if (!gpu) return 'this browser has no WebGPU';
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return 'WebGPU has no adapter here';
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  // Its warnings (shape ops placed on the CPU) would reach the console as errors.
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated
    ? Math.min(4, navigator.hardwareConcurrency || 1)
    : 1;
  const { vendor = '', architecture = '' } = adapter.info ?? {};
  return { ort, adapter: [vendor, architecture].filter(Boolean).join(' ') || 'an adapter' };
}

const ruleKey = (r: BackwardRules) => JSON.stringify(r);

/** What a run of a disposed GpuGradients rejects with (not a failure of the layer). */
export const GONE = 'the WebGPU engine was put away';

/** The page's calls into onnxruntime-web's WebGPU build, one after another (any model's). */
let chain: Promise<unknown> = Promise.resolve();
function serial<T>(op: () => Promise<T>): Promise<T> {
  const run = chain.then(op, op);
  chain = run.catch(() => {});
  return run;
}

/**
 * One model's gradient graphs on WebGPU, a session per layer and rule set (the last few kept).
 * Every call into onnxruntime-web (open, run, release), of any model, waits for the one before it:
 * a session released while another was being made lost the new one's input names ("Invalid input
 * name: dv:x"; seen when the engine was switched back and forth).
 */
export class GpuGradients {
  private readonly open = new Map<string, { session: Session; graph: UnitGradientGraph }>();
  /** ms of the last run (feeds, run, read back). */
  lastMs = 0;
  /** After dispose: runs refuse, and a session made meanwhile is released at once. */
  private disposed = false;

  constructor(
    private readonly ort: Ort,
    readonly model: VisModel,
    readonly adapter: string,
  ) {}

  private async sessionFor(layer: string, rules: BackwardRules) {
    const key = `${layer}|${ruleKey(rules)}`;
    const known = this.open.get(key);
    if (known) {
      this.open.delete(key);
      this.open.set(key, known); // most recently used last
      return known;
    }
    while (this.open.size >= 4) {
      const [oldest, old] = this.open.entries().next().value!;
      this.open.delete(oldest);
      await old.session.release();
    }
    // Throws here, before any session, when the layer's view has no graph of its own.
    const graph = this.model.gradientGraph!(layer, rules);
    const session = await this.ort.InferenceSession.create(graph.bytes, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'extended',
      logSeverityLevel: 3,
      ...(graph.external.length
        ? { externalData: graph.external.map((e) => ({ path: e.path, data: e.data })) }
        : {}),
    });
    if (this.disposed) {
      await session.release();
      throw new Error(GONE);
    }
    const made = { session, graph };
    this.open.set(key, made);
    return made;
  }

  /**
   * d(seed · layer)/d(image) for one image x (NHWC values): the unit's one-hot seed times `scale`
   * (at `neuron` [x, y] of a map), under `rules` (plain, guided, deconvnet).
   */
  gradient(
    layer: string,
    rules: BackwardRules,
    x: Float32Array,
    unit: number,
    neuron?: readonly [number, number],
    scale = 1,
  ): Promise<Float32Array> {
    return serial(async () => {
      if (this.disposed) throw new Error(GONE);
      const { session, graph } = await this.sessionFor(layer, rules);
      const t = performance.now();
      const seed = graph.seed(unit, neuron);
      if (scale !== 1) for (let i = 0; i < seed.length; i++) seed[i] *= scale;
      const [h, w, c] = this.model.input.shape;
      const out = await session.run({
        [graph.input]: new this.ort.Tensor('float32', x, [1, h, w, c]),
        [graph.seedName]: new this.ort.Tensor('float32', seed, [...graph.seedShape]),
      });
      const values = (await out[graph.output].getData()) as Float32Array;
      for (const v of Object.values(out)) v.dispose();
      this.lastMs = performance.now() - t;
      return values;
    });
  }

  dispose(): void {
    this.disposed = true;
    const all = [...this.open.values()];
    this.open.clear();
    void serial(async () => {
      for (const o of all) await o.session.release();
    });
  }
}
