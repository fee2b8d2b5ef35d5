/**
 * The fence: every access deepvis makes to what TensorFlow.js does not export (its engine's tape,
 * backward walk and scopes, a backend's memory, tfjs-layers' and tfjs-converter's private fields),
 * typed here, each with its one reason. Nothing outside this file casts a tfjs object to reach
 * inside it; a tfjs upgrade that moves any of these breaks here, in one place (version.ts pins
 * 4.22 exactly).
 *
 * The engine's hooks are installed once, as one wrap each, and run a list: the tape hooks in the
 * order they were added (patches.ts adds them, in one place), the kernel hooks likewise. In the
 * stock mode (patches.ts: initEngine({ patches: 'stock' })) every hook passes through, the backward
 * walk and the scope results are tfjs's own: plain tfjs.
 */
import * as tf from '@tensorflow/tfjs';

type Attrs = Record<string, unknown>;

/** A node of tfjs's gradient tape, as engine.addTapeNode records it and engine.gradients walks it. */
export interface TapeNode {
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient: ((dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>) | null;
  saved: tf.Tensor[];
}

/** What addTapeNode is called with (before tfjs builds the node). */
export interface TapeRecord {
  readonly name: string;
  readonly inputs: tf.NamedTensorMap;
  readonly outputs: tf.Tensor[];
  readonly gradient:
    | ((
        dy: tf.Tensor | tf.Tensor[],
        saved: tf.Tensor[],
        attrs: Attrs,
      ) => Record<string, () => tf.Tensor>)
    | null;
  /** The tensors kept for the backward pass; a hook may replace entries (shape_saves.ts). */
  readonly saved: unknown[];
  readonly attrs: Attrs;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null; kernelDepth: number };
  registeredVariables: Record<string, tf.Variable>;
  runKernel(name: string, inputs: tf.NamedTensorMap, attrs?: Attrs): tf.Tensor | tf.Tensor[];
  addTapeNode(
    name: string,
    inputs: tf.NamedTensorMap,
    outputs: tf.Tensor[],
    grad: TapeRecord['gradient'],
    saved: unknown[],
    attrs: Attrs,
  ): void;
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: tf.Tensor[] };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string | (() => T), f?: () => T): T;
  endScope(result?: unknown): void;
  disposeTensor(t: tf.Tensor): void;
  incRef(t: tf.Tensor, backend: unknown): void;
}

const engine = () => tf.engine() as unknown as EngineInternals;

// ---- the mode ---------------------------------------------------------------------------------

/** 'deepvis': the patches (patches.ts) on; 'stock': tfjs as shipped. */
export type PatchMode = 'deepvis' | 'stock';
let mode: PatchMode = 'stock';
/** The hooks below act only in the deepvis mode. */
export const patchesOn = () => mode === 'deepvis';
export function setHookMode(m: PatchMode): void {
  mode = m;
}

// ---- the tape ---------------------------------------------------------------------------------

/** Reason: free the tape a failed gradient pass left behind (tape.ts), and know whether one is being recorded. */
export function tapeState(): { gradientDepth: number; activeTape: TapeNode[] | null } {
  return engine().state;
}

/**
 * Reason: a tape node recorded while a kernel runs is tfjs's clone of a tensor it saves for the
 * backward pass (engine.clone tapes itself under the op's name), not an op of the model.
 */
export const insideKernel = (): boolean => engine().state.kernelDepth > 0;

/** Reason: release the tape after the lean backward walk or a failed pass, as tfjs does at the end of engine.gradients. */
export function clearActiveTape(): void {
  engine().state.activeTape = null;
}

/**
 * Named hooks in the order added (a second add of a name replaces it), and the one wrap of an
 * engine method that runs them, made on the first add.
 */
class Hooks<H> {
  readonly list: Array<{ name: string; hook: H; always: boolean }> = [];
  private all: H[] = [];
  private always: H[] = [];
  private wrapped = false;
  constructor(private readonly wrap: () => void) {}
  add(name: string, hook: H, always: boolean): void {
    const at = this.list.findIndex((h) => h.name === name);
    if (at >= 0) this.list[at] = { name, hook, always };
    else this.list.push({ name, hook, always });
    this.all = this.list.map((h) => h.hook);
    this.always = this.list.filter((h) => h.always).map((h) => h.hook);
    if (!this.wrapped) this.wrap();
    this.wrapped = true;
  }
  /** The hooks that act now: all in the deepvis mode, the `always` ones (backward rule sets) in both. */
  active(): readonly H[] {
    return patchesOn() ? this.all : this.always;
  }
}

/** A tape hook: sees every record before tfjs builds its node, returns the record to build (the same or changed). */
export type TapeHook = (r: TapeRecord) => TapeRecord;
const tapeHooks = new Hooks<TapeHook>(() => {
  const e = engine();
  const stock = e.addTapeNode;
  e.addTapeNode = function (name, inputs, outputs, gradient, saved, attrs) {
    let r: TapeRecord = { name, inputs, outputs, gradient, saved, attrs };
    for (const hook of tapeHooks.active()) r = hook(r);
    return stock.call(this, r.name, r.inputs, r.outputs, r.gradient, r.saved as unknown[], r.attrs);
  };
});

/**
 * Reason: change what the tape keeps (a lazy gradient for a fused op, shapes instead of tensors).
 * One wrap of engine.addTapeNode. `always`: the hook acts in the stock mode too — a backward rule
 * set (engine/rule_sets.ts), which, like the registry swaps of rules.ts, is a method's rule and not
 * a patch of the engine.
 */
export const addTapeHook = (name: string, hook: TapeHook, always = false): void =>
  tapeHooks.add(name, hook, always);

/** The names of the tape hooks, in the order they run. */
export const tapeHookNames = (): string[] =>
  tapeHooks.list.filter((h) => !h.always).map((h) => h.name);

// ---- kernels ----------------------------------------------------------------------------------

/** A kernel hook: may rewrite a kernel's inputs before it runs, and sees its attributes after. */
export interface KernelHook {
  before?(name: string, inputs: tf.NamedTensorMap): tf.NamedTensorMap;
  after?(name: string, attrs: Attrs): void;
}
const kernelHooks = new Hooks<KernelHook>(() => {
  const e = engine();
  const stock = e.runKernel;
  e.runKernel = function (name, inputs, attrs) {
    const hooks = kernelHooks.active();
    if (hooks.length === 0) return stock.call(this, name, inputs, attrs);
    for (const h of hooks) inputs = h.before?.(name, inputs) ?? inputs;
    const out = stock.call(this, name, inputs, attrs);
    for (const h of hooks) h.after?.(name, attrs ?? {});
    return out;
  };
});

/** Reason: see a fused kernel's attributes (not on its tape node) and complete inputs tfjs cannot differentiate without. One wrap of engine.runKernel. */
export const addKernelHook = (name: string, hook: KernelHook, always = false): void =>
  kernelHooks.add(name, hook, always);

/**
 * Reason: one op on the tape whose forward and gradient are computed elsewhere (onnxruntime,
 * native_gradient.ts): engine.runKernelFunc records it with its own backward function, as tfjs's
 * customGrad does, but with one gradient function per named input and no saved tensors.
 */
export function runCustomKernel(
  forwardFunc: () => tf.Tensor[],
  backwardsFunc: (dy: tf.Tensor | tf.Tensor[]) => Record<string, () => tf.Tensor>,
  inputs: Record<string, tf.Tensor>,
): tf.Tensor[] {
  return (
    engine() as unknown as {
      runKernelFunc(p: {
        forwardFunc: () => tf.Tensor[];
        backwardsFunc: typeof backwardsFunc;
        inputs: Record<string, tf.Tensor>;
      }): tf.Tensor[];
    }
  ).runKernelFunc({ forwardFunc, backwardsFunc, inputs });
}

/** Reason: run a kernel that has no op wrapper (a depthwise conv's input gradient as a transposed window sum). */
export function runKernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Attrs,
): tf.Tensor {
  return engine().runKernel(name, inputs as tf.NamedTensorMap, attrs) as tf.Tensor;
}

// ---- the backward walk and scopes ---------------------------------------------------------------

/** The pieces of tfjs's engine a replacement backward walk needs. */
export interface BackwardParts {
  /** Runs f recording a tape (engine.scopedRun with startTape/endTape, in a named tidy). */
  record(f: () => tf.Tensor): tf.Tensor;
  readonly state: { gradientDepth: number; activeTape: TapeNode[] | null };
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}
export type Backward = (
  parts: BackwardParts,
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy: tf.Tensor | undefined,
  allowNoGradients: boolean,
) => { value: tf.Tensor; grads: tf.Tensor[] } | null;
let backwardWrapped = false;

/**
 * Reason: a backward walk that frees each gradient once used (lean_backward.ts). `walk` returns
 * null to leave a call to tfjs (a gradient of a gradient). One wrap of engine.gradients.
 */
export function replaceBackward(walk: Backward): void {
  if (backwardWrapped) return;
  backwardWrapped = true;
  const e = engine();
  const stock = e.gradients;
  e.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients = false) {
    const self = this;
    const parts: BackwardParts = {
      record: (g) =>
        self.scopedRun(
          () => self.startTape(),
          () => self.endTape(),
          () => self.tidy('forward', g),
        ),
      state: self.state,
      tidy: (name, g) => self.tidy(name, g),
    };
    const out = patchesOn() ? walk(parts, f, xs, dy, allowNoGradients) : null;
    return out ?? stock.call(this, f, xs, dy, allowNoGradients);
  };
}

let scopeWrapped = false;
/** Reason: a tidy whose result holds no tensor is not walked element by element (tidy_results.ts). One wrap of engine.endScope. */
export function filterScopeResults(keep: (result: unknown) => unknown): void {
  if (scopeWrapped) return;
  scopeWrapped = true;
  const e = engine();
  const stock = e.endScope;
  e.endScope = function (this: EngineInternals, result?: unknown) {
    return stock.call(this, patchesOn() ? keep(result) : result);
  };
}

// ---- tensors and variables --------------------------------------------------------------------

/** Reason: MPRT randomizes a layer's weights in place: the tensor keeps its identity and points at `value`'s data. */
export function rebindTensor(t: tf.Tensor, value: tf.Tensor): void {
  const e = engine();
  e.disposeTensor(t);
  (t as { dataId: object }).dataId = value.dataId;
  e.incRef(t, null);
  tf.keep(t);
}

/** Reason: an optimizer (Nadam) finds the variable a named gradient belongs to, as tfjs's own optimizers do. */
export function registeredVariable(name: string): tf.Variable {
  return engine().registeredVariables[name];
}

/** Reason: tfjs's optimizers keep their learning rate in a protected field; a schedule changes it between steps. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

// ---- backends ---------------------------------------------------------------------------------

interface WasmBackend {
  wasm: {
    HEAPU8: Uint8Array;
    tfjs?: { getThreadsCount?: () => number };
    PThread?: { runningWorkers?: unknown[]; unusedWorkers?: unknown[] };
  };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

function wasmOf(backend: tf.KernelBackend): WasmBackend | null {
  const b = backend as unknown as Partial<WasmBackend>;
  return typeof b.getMemoryOffset === 'function' &&
    typeof b.makeOutput === 'function' &&
    b.wasm?.HEAPU8 != null
    ? (b as WasmBackend)
    : null;
}

/** Reason: host-side kernels read a wasm tensor in place (a view of the module heap) instead of a copy; null on other backends. */
export function wasmView(
  backend: tf.KernelBackend,
  t: tf.TensorInfo,
  size: number,
): Float32Array | null {
  const w = wasmOf(backend);
  return w ? new Float32Array(w.wasm.HEAPU8.buffer, w.getMemoryOffset(t.dataId), size) : null;
}

/** Reason: host-side kernels allocate a wasm output in place and write it there; null on other backends. */
export function wasmOutput(
  backend: tf.KernelBackend,
  shape: number[],
  size: number,
): { info: tf.TensorInfo; view: Float32Array } | null {
  const w = wasmOf(backend);
  if (!w) return null;
  const info = w.makeOutput(shape, 'float32');
  return {
    info,
    view: new Float32Array(w.wasm.HEAPU8.buffer, w.getMemoryOffset(info.dataId), size),
  };
}

/** Reason: an Identity kernel that shares its input's data adds a reference to it (what tfjs's cpu Identity does). */
export function backendIncRef(backend: tf.KernelBackend, dataId: object): void {
  (backend as unknown as { incRef(dataId: object): void }).incRef(dataId);
}

/** Reason: the engine reports how many threads the wasm module runs (1 when it cannot say). */
export function wasmThreadCount(): number {
  const count = (tf.backend() as unknown as Partial<WasmBackend>).wasm?.tfjs?.getThreadsCount?.();
  return typeof count === 'number' && count > 0 ? count : 1;
}

/** Reason: unref the wasm module's worker threads so they do not keep Node alive after the work. */
export function wasmWorkers(): unknown[] {
  const p = (tf.backend() as unknown as Partial<WasmBackend>).wasm?.PThread;
  return [...(p?.runningWorkers ?? []), ...(p?.unusedWorkers ?? [])];
}

/** Reason: the cpu backend prints an advert for tfjs-node on first use in Node; deepvis users chose their backend. */
export function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu != null) cpu.firstUse = false;
}

// ---- tfjs-layers and tfjs-converter -------------------------------------------------------------

/** Reason: a layer's fused activation (Dense, Conv2D: not in getConfig's class-free form) names its pre-activation twin. */
export function layerActivationName(layer: tf.layers.Layer): string | undefined {
  return (layer as unknown as { activation?: { getClassName(): string } }).activation
    ?.getClassName()
    .toLowerCase();
}

/** Reason: Grad-CAM's offset shifts one layer's output in the forward pass: an own `call` on the instance, removed after. */
export function withLayerCall<T>(
  layer: tf.layers.Layer,
  call: (
    stock: (inputs: unknown, kwargs: unknown) => tf.Tensor | tf.Tensor[],
    inputs: unknown,
    kwargs: unknown,
  ) => tf.Tensor | tf.Tensor[],
  fn: () => T,
): T {
  const holder = layer as unknown as {
    call: (inputs: unknown, kwargs: unknown) => tf.Tensor | tf.Tensor[];
  };
  const stock = holder.call;
  holder.call = (inputs, kwargs) => call((i, k) => stock.call(layer, i, k), inputs, kwargs);
  try {
    return fn();
  } finally {
    delete (holder as Partial<typeof holder>).call;
    if (holder.call !== stock) holder.call = stock;
  }
}

let linear: unknown = null;
/** Reason: a layer's pre-activation is the layer applied with its activation swapped for linear (restored after). */
export function withLinearActivation<T>(layer: tf.layers.Layer, fn: () => T): T {
  linear ??= (
    tf.layers.dense({ units: 1, activation: 'linear' }) as unknown as { activation: unknown }
  ).activation;
  const holder = layer as unknown as { activation: unknown };
  const saved = holder.activation;
  holder.activation = linear;
  try {
    return fn();
  } finally {
    holder.activation = saved;
  }
}

/** Reason: Keras weights are matched by their name in the file (a LayerVariable's originalName). */
export const variableOriginalName = (w: tf.LayerVariable): string =>
  (w as unknown as { originalName?: string }).originalName ?? w.name;

export interface GraphNode {
  name: string;
  op: string;
  inputs?: Array<{ name: string; op: string }>;
}

/** Reason: a graph model's nodes (names, ops, inputs) are its layers; tfjs-converter keeps them on its executor. Null when unreadable. */
export function graphNodes(model: tf.GraphModel): Record<string, GraphNode> | null {
  return (
    (model as unknown as { executor?: { graph?: { nodes?: Record<string, GraphNode> } } }).executor
      ?.graph?.nodes ?? null
  );
}

/** Reason: a graph node's weights are its Const inputs, held in the model's weight map. */
export function graphWeights(model: tf.GraphModel): Record<string, tf.Tensor[]> {
  return (model as unknown as { weights?: Record<string, tf.Tensor[]> }).weights ?? {};
}
