/**
 * Input gradients on WebGPU (issue 26, item 6): onnxruntime-web's WebGPU build runs an ONNX
 * model's gradient graphs. Its runs are asynchronous, which tfjs's tape cannot wait for, so only
 * work that can wait uses it:
 * - the backprop view: one layer's graph (VisModel.gradientGraph: the image and a unit's seed in,
 *   d(unit)/d(image) out); the view asks for a map, draws it when it comes, and skips frames while
 *   a run is under way;
 * - optimizations (Lucid and every method of the loop): the model's fused graph, run ahead of each
 *   step's tape pass (VisModel.gradientAhead; the page drives methods with featureVis.drive, which
 *   waits for it).
 * Forwards stay where the engine choice put them.
 */
import type { engine, UnitGradientGraph, VisModel } from '../../../src/index.js';

type BackwardRules = engine.BackwardRules;
type AsyncGraphs = engine.AsyncGraphs;
type GraphFile = engine.GraphFile;
type HostArray = engine.HostArray;

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
 * One model's gradient graphs on WebGPU, a session per graph (the last few kept): the engine the
 * model runs ahead on (AsyncGraphs), and the backprop view's maps.
 * Every call into onnxruntime-web (open, run, release), of any model, waits for the one before it:
 * a session released while another was being made lost the new one's input names ("Invalid input
 * name: dv:x"; seen when the engine was switched back and forth).
 */
export class GpuGradients implements AsyncGraphs {
  private readonly open = new Map<string, { session: Session; graph: GraphFile }>();
  /** ms of the last run (feeds, run, read back). */
  lastMs = 0;
  /** After dispose: runs refuse, and a session made meanwhile is released at once. */
  private disposed = false;
  readonly name: string;

  constructor(
    private readonly ort: Ort,
    readonly model: VisModel,
    readonly adapter: string,
  ) {
    this.name = `onnxruntime-web ${ort.env.versions.web} (WebGPU, ${adapter})`;
  }

  private async sessionFor<G extends GraphFile>(key: string, make: () => G) {
    const known = this.open.get(key);
    if (known) {
      this.open.delete(key);
      this.open.set(key, known); // most recently used last
      return known as { session: Session; graph: G };
    }
    while (this.open.size >= 4) {
      const [oldest, old] = this.open.entries().next().value!;
      this.open.delete(oldest);
      await old.session.release();
    }
    // Throws here, before any session, when the graph cannot be made (a view with no graph of its own).
    const graph = make();
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

  /** One run of a session: feeds in, the outputs `fetch` read back, in order (and lastMs set). */
  private async runOn(
    session: Session,
    feeds: Readonly<Record<string, HostArray>>,
    fetch: readonly string[],
  ): Promise<HostArray[]> {
    const t = performance.now();
    const inputs = Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [
        k,
        new this.ort.Tensor('float32', v.data, [...v.dims]),
      ]),
    );
    const out = await session.run(inputs, [...fetch]);
    try {
      return await Promise.all(
        fetch.map(async (f) => ({
          data: (await out[f].getData()) as Float32Array,
          dims: out[f].dims,
        })),
      );
    } finally {
      for (const v of Object.values(out)) v.dispose();
      this.lastMs = performance.now() - t;
    }
  }

  /** AsyncGraphs: the graph `key` on `feeds` (the model's runs ahead of the tape). */
  run(
    key: string,
    graph: () => GraphFile,
    feeds: Readonly<Record<string, HostArray>>,
    fetch: readonly string[],
  ): Promise<HostArray[]> {
    return serial(async () => {
      if (this.disposed) throw new Error(GONE);
      const { session } = await this.sessionFor(`ahead|${key}`, graph);
      return this.runOn(session, feeds, fetch);
    });
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
      const { session, graph } = await this.sessionFor<UnitGradientGraph>(
        `unit|${layer}|${ruleKey(rules)}`,
        () => this.model.gradientGraph!(layer, rules),
      );
      const seed = graph.seed(unit, neuron);
      if (scale !== 1) for (let i = 0; i < seed.length; i++) seed[i] *= scale;
      const [h, w, c] = this.model.input.shape;
      const [dx] = await this.runOn(
        session,
        {
          [graph.input]: { data: x, dims: [1, h, w, c] },
          [graph.seedName]: { data: seed, dims: graph.seedShape },
        },
        [graph.output],
      );
      return dx.data;
    });
  }

  dispose(): void {
    this.disposed = true;
    // The model's runs ahead stop with the engine (if it is still the one attached).
    if (this.model.ahead?.engine === this) this.model.useAsyncGraphs?.(null);
    const all = [...this.open.values()];
    this.open.clear();
    void serial(async () => {
      for (const o of all) await o.session.release();
    });
  }
}
