/**
 * VisModel: the one interface every method sees, whatever the model is (tfjs LayersModel,
 * GraphModel, or one of deepvis's own). Inputs are always images [N, H, W, C] in the model's value
 * range; a model whose native input is flat gets them reshaped inside the adapter.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TokenLayout } from './tokens.js';
import type { BackwardRules } from '../engine/rules.js';
import type { AsyncGraphs } from '../engine/forward_runner.js';

/** Where the model came from: tfjs layers or graph JSON, ONNX, or Keras (loaded as tfjs layers). */
export type ModelFormatName = 'layers' | 'graph' | 'onnx' | 'keras';

export type ChannelOrder = 'gray' | 'rgb' | 'bgr' | 'none';

export interface InputSpec {
  /** Image shape [H, W, C] as methods see it. */
  readonly shape: readonly [number, number, number];
  /** The model's own input shape without the batch dimension (e.g. [784] for an MLP). */
  readonly nativeShape: readonly number[];
  /** Pixel value range the model was trained on. */
  readonly range: readonly [number, number];
  readonly channelOrder: ChannelOrder;
  /**
   * Per-channel normalization the model applies to its input, in the units of `range`:
   * native = (image − mean) / std. Methods work in image space; the adapter folds this in.
   */
  readonly normalize: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
  /** Where each fact came from, so `inspect` can say how sure it is. */
  readonly provenance: {
    readonly range: Provenance;
    readonly channelOrder: Provenance;
    readonly shape: Provenance;
    readonly normalize: Provenance;
  };
}

/** 'sidecar': the deepvis.json next to the model file. */
export type Provenance = 'model' | 'metadata' | 'sidecar' | 'flag' | 'assumed';

export interface LayerInfo {
  readonly name: string;
  /** Layer class (layers models) or op (graph models). */
  readonly kind: string;
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
  /** Channels for [H, W, C] outputs, features for flat ones. */
  readonly units: number;
  readonly index: number;
  /** The layer's own (fused) activation, e.g. 'relu', when it has one other than linear. */
  readonly activation?: string;
  /** Other names accepted for this layer: the full node path, enclosing modules it is the output of. */
  readonly aliases?: readonly string[];
  /**
   * A transformer's token layer [B, T, C] shown as its patch grid [h, w, C] (outputShape); the
   * prefix tokens are `NAME:cls` (model/tokens.ts).
   */
  readonly tokens?: TokenLayout;
  /** A map the model itself holds channels-last ([B, H, W, C]: Swin's stages, ConvNeXt's blocks). */
  readonly channelsLast?: boolean;
  /** Attention probabilities shown as [queries, keys, heads] (outputShape [T, T, heads]). */
  readonly attention?: { readonly heads: number; readonly tokens: number };
}

/** One transformer block, by the layers methods read (module paths as layer names). */
export interface BlockFacts {
  /** The block's module path; its output layer. */
  readonly name: string;
  /** The attention-probabilities layer ([T, T, heads]). */
  readonly attention?: string;
  /** The block's first normalization (CAMs on a ViT read it: the last block's patch tokens get no gradient from a class-token head). */
  readonly norm1?: string;
  /** The MLP's expanded GELU units (Ghiasi et al. 2022's unit layer of a block). */
  readonly mlp?: string;
}

export interface TransformerFacts {
  /** The token layout of the model's token layers, when it has any. */
  readonly tokens: TokenLayout | null;
  readonly blocks: readonly BlockFacts[];
}

export interface InputOverrides {
  readonly range?: readonly [number, number];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly channelOrder?: ChannelOrder;
  readonly shape?: readonly [number, number, number];
  /** Token layout of a transformer's layers (`--tokens prefix=1,grid=14x14`). */
  readonly tokens?: { readonly prefix: number; readonly grid: readonly [number, number] };
}

/** Metadata deepvis writes into model.json (userDefinedMetadata.deepvis). */
export interface DeepvisMetadata {
  readonly inputRange?: readonly [number, number];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly channelOrder?: ChannelOrder;
  readonly imageShape?: readonly [number, number, number];
  readonly labels?: readonly string[];
  readonly arch?: string;
  readonly dataset?: string;
  /** Name of the layer holding pre-softmax scores, when the model ends in a softmax. */
  readonly logitsLayer?: string;
  /** Token layout (the sidecar's "tokens": "prefix=1,grid=14x14"). */
  readonly tokens?: string;
  readonly [key: string]: unknown;
}

/**
 * A tensor added to one layer's output inside the forward pass. Its gradient at zero is the
 * gradient of anything downstream with respect to that layer's activations (Grad-CAM), which
 * tf.grad cannot give directly since it differentiates with respect to inputs only.
 */
export interface LayerOffset {
  readonly layer: string;
  /** Same shape as the layer's output for the batch. */
  readonly delta: tf.Tensor;
}

/**
 * One layer's input-gradient graph (VisModel.gradientGraph): feed the image (NHWC, float32) as
 * `input` and `seed(unit, neuron)` as `seedName`; `output` is d(unit)/d(image), NHWC.
 */
export interface UnitGradientGraph {
  readonly bytes: Uint8Array;
  /** Files the graph's initializers point into, for sessions that take external data in memory. */
  readonly external: ReadonlyArray<{ readonly path: string; readonly data: Uint8Array }>;
  readonly input: string;
  readonly seedName: string;
  /** The seed's shape for one image, in the graph's own layout. */
  readonly seedShape: readonly number[];
  readonly output: string;
  /** The one-hot seed of a unit (at one position of a map: neuron [x, y], as targets give it) for one image. */
  seed(unit: number, neuron?: readonly [number, number]): Float32Array;
}

export interface VisModel {
  readonly format: ModelFormatName;
  readonly input: InputSpec;
  readonly layers: readonly LayerInfo[];
  readonly metadata: DeepvisMetadata;
  /** Class names, if known. */
  readonly labels: readonly string[] | null;
  /**
   * Checked lookup: throws DeepvisError "unknown layer X; known: …". `name:pre` names the
   * pre-activation of a layer with a fused activation (layers models): a ReLU unit that is off
   * at a random start has zero gradient, its pre-activation does not, and both have the same
   * maximizer wherever the maximum is positive.
   */
  layer(ref: string | number): LayerInfo;
  /**
   * Activations of `layers` (in that order) from one forward pass over images x [N, H, W, C].
   * Records on the gradient tape, so any scalar built from them differentiates w.r.t. x.
   * The caller owns (disposes) the returned tensors. With `offset`, that layer's output (and all
   * that depends on it) is computed from output + delta. Layers and graph models also take one
   * image with B deltas: the layers below run once, the layer's output is broadcast to the B
   * deltas (a model whose graph cannot broadcast, such as a concatenation of a layer below with
   * one above, fails; ONNX models refuse: give B copies of the image).
   */
  activations(x: tf.Tensor4D, layers: readonly string[], offset?: LayerOffset): tf.Tensor[];
  /** Final model output (probabilities or logits as the model defines them). Caller disposes. */
  predict(x: tf.Tensor4D): tf.Tensor;
  /**
   * A layer's parameters (kernel first, then bias), for methods that read weights (filters, DBN
   * sampling, linear combinations of filters). Graph models: the constants feeding the node.
   * Tensors are the model's own: do not dispose them.
   */
  weightsOf(layer: string): tf.Tensor[];
  /** The shapes of `weightsOf(layer)`, without making weights a loader left for first use. */
  weightShapes?(layer: string): number[][];
  /** Name of the layer whose output is pre-softmax class scores, if the model has one. */
  readonly logitsLayer: string | null;
  /**
   * What runs forward passes that no gradient records: 'tfjs' (absent = tfjs), or another engine
   * the adapter chose ('onnxruntime-node 1.30.0' for ONNX files in Node).
   */
  readonly forwardEngine?: string;
  /**
   * What computes input gradients now (absent = tfjs): 'tfjs', or the native engine running the
   * model's gradient graph ('onnxruntime-node 1.30.0'), with why (engine/gradient_engine.ts).
   */
  readonly gradientEngine?: string;
  readonly gradientEngineWhy?: string;
  /**
   * Models with a native engine (ONNX files): 'native' (the default) runs forwards and gradients
   * there wherever it can, 'tfjs' keeps this model's passes on tfjs (the page's engine choice).
   */
  useEngine?(engine: 'native' | 'tfjs'): void;
  /**
   * ONNX models with a native engine: the input gradient of one unit of `layer` as an ONNX graph
   * of its own, for an engine that runs outside tfjs's tape (onnxruntime-web on WebGPU, whose runs
   * are asynchronous). Throws, naming the reason, where the layer's view or an op has no form.
   */
  gradientGraph?(layer: string, rules?: BackwardRules): UnitGradientGraph;
  /**
   * Attaches an engine that runs graphs only asynchronously (onnxruntime-web on WebGPU), for runs
   * ahead of the tape (gradientAhead); null detaches it. Models with a native gradient engine.
   */
  useAsyncGraphs?(engine: AsyncGraphs | null): void;
  /**
   * Work for a driver that can wait (optimize/drive.ts's Ahead), before a tape pass that
   * differentiates `layers` of the images `x()` makes: the model's fused gradient graph run on the
   * attached asynchronous engine for those images and the tap gradients the last passes brought,
   * which that pass then takes instead of running its own (when the gradient that arrives is the
   * predicted one; otherwise it runs as usual). Null when there is nothing to run ahead: no engine
   * attached, no prediction yet, a layer or rule set it does not serve. `x` is called (and its
   * tensors freed) only when there may be. The returned work never rejects: a graph the engine
   * fails on runs no more ahead, an engine that does not answer in time is detached, and
   * `ahead.why` says which.
   */
  gradientAhead?(layers: readonly string[], x: () => tf.Tensor4D): (() => Promise<void>) | null;
  /**
   * Runs ahead so far: made, and taken by a tape pass; the attached engine; and what happened last
   * (attached, a graph it failed on, detached for not answering).
   */
  readonly ahead?: {
    readonly runs: number;
    readonly used: number;
    readonly engine: AsyncGraphs | null;
    readonly why: string;
  };
  /**
   * Where the passes of each rule set (LRP's relevance, DeepLIFT's rescale) run for the model's
   * output: the native engine where its gradient graph has a rule for every op, else tfjs, and why.
   */
  readonly ruleSetEngines?: readonly RuleSetRoute[];
  /** Token layout and blocks of a transformer (ONNX models with token layers). */
  readonly transformer?: TransformerFacts;
  dispose(): void;
}

/** The rule sets whose passes a native gradient engine may run. */
export type RuleSetName = 'LRP' | 'DeepLIFT';
export interface RuleSetRoute {
  readonly name: RuleSetName;
  readonly engine: string;
  readonly why: string;
}
