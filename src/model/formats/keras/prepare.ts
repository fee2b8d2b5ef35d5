/**
 * Checks and cleans a Keras-2-form model config before tfjs sees it, so that whatever tfjs cannot
 * build fails here with one line naming the layer, not inside tfjs with a stack trace:
 * - every layer class must be one tfjs-layers has or deepvis registers (else: custom layer, named);
 * - activations are mapped to tfjs's names (Keras 3's hard_sigmoid and hard_silu to deepvis's),
 *   options tfjs would silently ignore (grouped convolution, leaky/thresholded ReLU) are refused;
 * - tf.keras TFOpLambda arithmetic and keepdims global pooling go to deepvis's layers (op_layers.ts),
 *   other TF ops, Keras 3 operations and Lambda layers are refused by name;
 * - initializers become zeros (the file's weights replace them; zeros avoid random draws and
 *   initializer classes tfjs lacks), regularizers and constraints (training-only) are dropped,
 *   dtypes become float32 (tfjs computes in float32; mixed-precision weights are cast at load);
 * - 'same' average pooling goes to deepvis's own layer, whose gradient is right (avg_pool_same.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../../../errors.js';
import { MODEL_CLASSES, type Dict } from './keras3_config.js';
import { HardSigmoid3, HardSilu } from './op_layers.js';
import { tfOpLambda } from './tf_ops.js';

/** Keras activation name → tfjs's. hard_sigmoid is Keras 2's (clip(0.2x + 0.5)), not Keras 3's. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  tanh: 'tanh',
  swish: 'swish',
  silu: 'swish',
  gelu: 'gelu',
  mish: 'mish',
  log_softmax: 'logSoftmax',
};

const ALIASES: Record<string, string> = {
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  Convolution2D: 'Conv2D',
  SeparableConvolution2D: 'SeparableConv2D',
};

const CONVS = new Set([
  'Conv2D',
  'SeparableConv2D',
  'DepthwiseConv2D',
  'Conv1D',
  'Conv2DTranspose',
]);

export interface PrepareContext {
  readonly source: string;
  /** Keras major version that wrote the file (2 or 3): hard_sigmoid means different things. */
  readonly kerasMajor: number;
}

function known(className: string): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown>;
  return className in map;
}

function activationName(value: unknown, layer: string, ctx: PrepareContext): string {
  // Keras 3 may serialize a built-in activation as {class_name: 'function', config: 'relu'}.
  const name =
    typeof value === 'string'
      ? value
      : typeof (value as Dict)?.config === 'string'
        ? (value as Dict).config
        : String((value as Dict)?.class_name);
  if (name === 'hard_sigmoid') return ctx.kerasMajor < 3 ? 'hardSigmoid' : HardSigmoid3.className;
  if (name === 'hard_silu' || name === 'hard_swish') return HardSilu.className;
  const mapped = ACTIVATIONS[name];
  if (!mapped)
    throw new DeepvisError(
      `${ctx.source}: layer '${layer}' uses activation '${name}', which deepvis does not know`,
    );
  return mapped;
}

function refuse(ctx: PrepareContext, layer: string, what: string): never {
  throw new DeepvisError(
    `${ctx.source}: layer '${layer}' uses ${what}, which deepvis does not support`,
  );
}

function cleanLayer(layer: Dict, ctx: PrepareContext): Dict {
  const className = ALIASES[layer.class_name] ?? layer.class_name;
  const config: Dict = { ...(layer.config ?? {}) };
  const name = String(config.name ?? layer.name ?? '?');
  if (MODEL_CLASSES.has(className))
    return {
      ...layer,
      class_name: className,
      config: prepareModel({ class_name: className, config }, ctx).config,
    };
  if (layer.op)
    throw new DeepvisError(
      `${ctx.source}: layer '${name}' is the Keras operation ${className} (${layer.op}), which deepvis does not run`,
    );
  if (className === 'TFOpLambda') {
    const op = tfOpLambda(layer, name);
    if (op) return op;
  }
  if (className === 'TFOpLambda' || className === 'SlicingOpLambda') {
    throw new DeepvisError(
      `${ctx.source}: layer '${name}' is a TensorFlow op saved by tf.keras (${className} ${config.function ?? '?'}), which deepvis does not run`,
    );
  }
  if (className === 'Lambda')
    throw new DeepvisError(
      `${ctx.source}: layer '${name}' is a Lambda layer, whose Python code the file does not hold`,
    );
  if (!known(className)) {
    throw new DeepvisError(
      `${ctx.source}: layer '${name}' has Keras class '${className}', which deepvis does not know (custom layer?)`,
    );
  }
  for (const key of Object.keys(config)) {
    if (key.endsWith('_initializer')) config[key] = { class_name: 'Zeros', config: {} };
    else if (key.endsWith('_regularizer') || key.endsWith('_constraint')) config[key] = null;
  }
  if (config.dtype !== undefined) config.dtype = 'float32';
  if ('activation' in config) config.activation = activationName(config.activation, name, ctx);
  if (CONVS.has(className) && (config.groups ?? 1) !== 1)
    refuse(ctx, name, `grouped convolution (groups=${config.groups})`);
  if (/^Global(Average|Max)Pooling2D$/.test(className) && config.keepdims) {
    const shape = config.batch_input_shape ? { batch_input_shape: config.batch_input_shape } : {};
    return {
      ...layer,
      class_name: 'DeepvisKeepdimsPooling2D',
      config: { name, mode: className.includes('Average') ? 'avg' : 'max', ...shape },
    };
  }
  if (className.startsWith('Global') && config.keepdims) refuse(ctx, name, 'keepdims=True');
  if (
    className === 'ReLU' &&
    (Number(config.negative_slope ?? 0) !== 0 || Number(config.threshold ?? 0) !== 0)
  ) {
    refuse(
      ctx,
      name,
      `negative_slope=${config.negative_slope ?? 0} / threshold=${config.threshold ?? 0}`,
    );
  }
  // tf.keras writes a built BatchNormalization's axis as a list ([3]); tfjs takes one integer.
  if (className === 'BatchNormalization' && Array.isArray(config.axis)) {
    if (config.axis.length !== 1)
      refuse(ctx, name, `batch normalization over axes [${config.axis.join(', ')}]`);
    config.axis = config.axis[0];
  }
  delete config.groups;
  // tfjs's AvgPoolGrad is wrong for 'same' padding (avg_pool_same.ts).
  if (
    className === 'AveragePooling2D' &&
    config.padding === 'same' &&
    (config.data_format ?? 'channels_last') === 'channels_last'
  ) {
    return { ...layer, class_name: 'DeepvisSameAveragePooling2D', config };
  }
  return { ...layer, class_name: className, config };
}

/** The cleaned copy of a Keras-2-form {class_name, config} model (Sequential, Functional, Model). */
export function prepareModel(model: Dict, ctx: PrepareContext): Dict {
  // Keras ≤ 2.2.2 wrote a Sequential's config as the bare list of its layers.
  const config: Dict = Array.isArray(model.config) ? { layers: model.config } : { ...model.config };
  if (!Array.isArray(config.layers))
    throw new DeepvisError(`${ctx.source}: the model config lists no layers`);
  config.layers = config.layers.map((l: Dict) => cleanLayer(l, ctx));
  // A tf.keras Sequential built by .build(shape) has no InputLayer: its shape is build_input_shape.
  const first = config.layers[0];
  if (
    model.class_name === 'Sequential' &&
    Array.isArray(config.build_input_shape) &&
    first &&
    first.class_name !== 'InputLayer' &&
    !MODEL_CLASSES.has(first.class_name) &&
    !first.config.batch_input_shape
  ) {
    config.layers[0] = {
      ...first,
      config: { ...first.config, batch_input_shape: config.build_input_shape },
    };
  }
  return { class_name: model.class_name === 'Model' ? 'Functional' : model.class_name, config };
}
