/**
 * VisModel over a tfjs LayersModel. Activations of any set of layers come from one sub-model
 * (inputs → those layers' outputs), built once per set and cached.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { resolveInputSpec } from './input_spec.js';
import { findLayer, parseRef } from './layer_lookup.js';
import type { DeepvisMetadata, InputOverrides, LayerInfo, VisModel } from './types.js';
import { checkImages, offsetFits, tapActivations, toNative } from './shape_check.js';
import { layerActivationName, withLayerCall, withLinearActivation } from '../engine/internals.js';

function firstShape(shape: tf.Shape | tf.Shape[]): number[] {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return s.slice(1).map((d) => d ?? -1);
}

export function fromLayersModel(model: tf.LayersModel, overrides: InputOverrides = {}): VisModel {
  if (model.inputs.length !== 1) {
    throw new DeepvisError(
      `deepvis needs a model with one image input; this one has ${model.inputs.length}`,
    );
  }
  const userMeta = (model.getUserDefinedMetadata?.() ?? {}) as { deepvis?: DeepvisMetadata };
  const metadata: DeepvisMetadata = userMeta.deepvis ?? {};
  const nativeShape = model.inputs[0].shape.slice(1);
  // A Rescaling layer by 1/255 (→ [0, 1]) or 1/127.5 (→ [-1, 1], MobileNet's) means 0…255 pixels in.
  const rescales255 = model.layers.some((l) => {
    if (l.getClassName() !== 'Rescaling') return false;
    const scale = Number((l.getConfig() as { scale?: number }).scale);
    return Math.abs(scale - 1 / 255) < 1e-6 || Math.abs(scale - 1 / 127.5) < 1e-6;
  });
  const input = resolveInputSpec(nativeShape, metadata, overrides, { rescales255 });

  const layers: LayerInfo[] = model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .map((l, index) => {
      const outputShape = firstShape(l.outputShape as tf.Shape);
      const act = layerActivationName(l);
      const activation = act && act !== 'linear' ? act : undefined;
      return {
        name: l.name,
        kind: l.getClassName(),
        outputShape,
        units: outputShape[outputShape.length - 1],
        index,
        activation,
      };
    });

  const last = model.layers[model.layers.length - 1];
  const lastIsSoftmax =
    last.getClassName() === 'Softmax' ||
    (last.getClassName() === 'Activation' &&
      (last.getConfig() as { activation?: string }).activation === 'softmax');
  const logitsLayer =
    metadata.logitsLayer ??
    (lastIsSoftmax && model.layers.length > 1 ? model.layers[model.layers.length - 2].name : null);

  const subModels = new Map<string, tf.LayersModel>();
  // A pre-activation tap reads the layer's input and re-applies the layer with a linear activation.
  const subModel = (names: readonly string[]): tf.LayersModel => {
    const key = names.join('\u0000');
    let sub = subModels.get(key);
    if (!sub) {
      const outputs = names
        .map(parseRef)
        .map((r) =>
          r.pre
            ? (model.getLayer(r.name).input as tf.SymbolicTensor)
            : outputOf(model.getLayer(r.name)),
        );
      sub = tf.model({ inputs: model.inputs, outputs });
      subModels.set(key, sub);
    }
    return sub;
  };

  const vis: VisModel = {
    format: 'layers',
    input,
    layers,
    metadata,
    labels: metadata.labels ?? null,
    logitsLayer,
    layer: (ref) => findLayer(layers, ref),
    activations: (x, names, offset) =>
      tapActivations(x, names, layers, input, (native, resolved) => {
        const run = () => subModel(resolved).apply(native, { training: false });
        const out = offset
          ? withOffset(
              model.getLayer(parseRef(findLayer(layers, offset.layer).name).name),
              offset.delta,
              run,
            )
          : run();
        const list = Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
        return list.map((t, i) => {
          const r = parseRef(resolved[i]);
          return r.pre ? applyLinear(model.getLayer(r.name), t) : t;
        });
      }),
    weightsOf(name) {
      return model.getLayer(parseRef(findLayer(layers, name).name).name).getWeights();
    },
    predict(x) {
      checkImages(x, input);
      return tf.tidy(() => model.apply(toNative(x, input), { training: false }) as tf.Tensor);
    },
    dispose() {
      model.dispose();
      subModels.clear();
    },
  };
  return vis;
}

/**
 * A layer's output in the model's graph. A nested model (a Keras base model used as a layer) has
 * two nodes: node 0 links its own inputs to its outputs, node 1 is its call in this model.
 */
function outputOf(layer: tf.layers.Layer): tf.SymbolicTensor {
  return (
    layer instanceof tf.LayersModel && layer.inboundNodes.length === 2
      ? layer.getOutputAt(1)
      : layer.output
  ) as tf.SymbolicTensor;
}

/** Runs fn with `layer`'s output shifted by delta (an own `call` on the instance, removed after). */
function withOffset<T>(layer: tf.layers.Layer, delta: tf.Tensor, fn: () => T): T {
  return withLayerCall(
    layer,
    (stock, inputs, kwargs) => {
      const out = stock(inputs, kwargs);
      if (Array.isArray(out) || !offsetFits(out.shape, delta.shape)) {
        throw new DeepvisError(
          `offset of shape [${delta.shape.join(', ')}] does not fit layer '${layer.name}'`,
        );
      }
      return out.add(delta);
    },
    fn,
  );
}

/** Applies `layer` with its activation swapped for linear (restored in finally). */
const applyLinear = (layer: tf.layers.Layer, input: tf.Tensor): tf.Tensor =>
  withLinearActivation(layer, () => layer.apply(input) as tf.Tensor);
