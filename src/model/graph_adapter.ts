/**
 * VisModel over a tfjs-converter GraphModel. Graph models have nodes, not layers: the layer table
 * lists the nodes a researcher would tap (convolutions, activations, pooling, dense products,
 * normalization, softmax), in graph order, with output shapes found by one forward pass on zeros.
 * A fused op (_FusedConv2D with Relu) hides its activation; its node output is the post-activation.
 */
import * as tf from '@tensorflow/tfjs';
import { DeepvisError } from '../errors.js';
import { resolveInputSpec } from './input_spec.js';
import { findLayer } from './layer_lookup.js';
import { shortNames } from './naming.js';
import { checkImages, offsetFits, tapActivations, toNative } from './shape_check.js';
import type { DeepvisMetadata, InputOverrides, LayerInfo, VisModel } from './types.js';
import { graphNodes, graphWeights, type GraphNode } from '../engine/internals.js';

const TAPPABLE = new Set([
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'MatMul',
  '_FusedMatMul',
  'BiasAdd',
  'Add',
  'AddV2',
  'Relu',
  'Relu6',
  'Elu',
  'Selu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Prelu',
  'MaxPool',
  'AvgPool',
  'FusedBatchNorm',
  'FusedBatchNormV3',
  'Mean',
  'Softmax',
  'ConcatV2',
]);

function nodesOf(model: tf.GraphModel): GraphNode[] {
  const nodes = graphNodes(model);
  if (nodes == null)
    throw new DeepvisError('graph model has no readable graph (unexpected tfjs-converter version)');
  return Object.values(nodes);
}

export function fromGraphModel(
  model: tf.GraphModel,
  metadata: DeepvisMetadata = {},
  overrides: InputOverrides = {},
): VisModel {
  if (model.inputs.length !== 1) {
    throw new DeepvisError(
      `deepvis needs a model with one image input; this one has ${model.inputs.length}`,
    );
  }
  const inputName = model.inputs[0].name;
  const nativeShape = (model.inputs[0].shape ?? [])
    .slice(1)
    .map((d) => (d == null || d < 0 ? null : d));
  const input = resolveInputSpec(nativeShape, metadata, overrides);

  const candidates = nodesOf(model).filter((n) => TAPPABLE.has(n.op));
  const shapes: number[][] = [];
  tf.tidy(() => {
    const probe = toNative(tf.zeros([1, ...input.shape]) as tf.Tensor4D, input);
    const outs = model.execute(
      { [inputName]: probe },
      candidates.map((n) => n.name),
    );
    (Array.isArray(outs) ? outs : [outs]).forEach((t) => shapes.push(t.shape.slice(1)));
  });
  const tapped = candidates
    .map((n, i) => ({ n, shape: shapes[i] }))
    .filter(({ shape }) => shape.length === 1 || shape.length === 3);
  // Keras layer names (`block3_sepconv2_act`) instead of TensorFlow node paths; the paths stay aliases.
  const named = shortNames(
    tapped.map(({ n }) => n.name),
    'keras',
  );
  const nodeOf = new Map(tapped.map(({ n }, i) => [named[i].name, n.name]));
  const layers: LayerInfo[] = tapped.map(({ n, shape }, index) => ({
    name: named[index].name,
    kind: n.op,
    outputShape: shape,
    units: shape[shape.length - 1],
    index,
    aliases: named[index].aliases,
  }));
  const node = (ref: string) => nodeOf.get(findLayer(layers, ref).name)!;

  const outputNode = model.outputs[0]?.name ?? '';
  const softmaxOut =
    nodesOf(model).find((n) => n.name === outputNode.replace(/:0$/, ''))?.op === 'Softmax';
  const logitsLayer =
    metadata.logitsLayer ?? (softmaxOut ? (layers[layers.length - 2]?.name ?? null) : null);

  const vis: VisModel = {
    format: 'graph',
    input,
    layers,
    metadata,
    labels: metadata.labels ?? null,
    logitsLayer,
    layer: (ref) => findLayer(layers, ref),
    activations: (x, names, offset) =>
      tapActivations(x, names, layers, input, (native, resolved) => {
        const nodes = resolved.map(node);
        if (!offset) return model.execute({ [inputName]: native }, nodes);
        // Feeding a node overrides its value; everything downstream is computed from the feed.
        const fed = node(offset.layer);
        const a = model.execute({ [inputName]: native }, fed) as tf.Tensor;
        if (!offsetFits(a.shape, offset.delta.shape)) {
          throw new DeepvisError(
            `offset of shape [${offset.delta.shape.join(', ')}] does not fit layer '${findLayer(layers, offset.layer).name}'`,
          );
        }
        return model.execute({ [inputName]: native, [fed]: a.add(offset.delta) }, nodes);
      }),
    weightsOf(name) {
      const target = node(name);
      const inputs = graphNodes(model)?.[target]?.inputs ?? [];
      const weightMap = graphWeights(model);
      return inputs
        .filter((n) => n.op === 'Const' && weightMap[n.name])
        .map((n) => weightMap[n.name][0]);
    },
    predict(x) {
      checkImages(x, input);
      return tf.tidy(() => {
        const out = model.execute({ [inputName]: toNative(x, input) });
        return Array.isArray(out) ? out[0] : out;
      });
    },
    dispose() {
      model.dispose();
    },
  };
  return vis;
}
