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
import { checkImages, tapActivations, toNative } from './shape_check.js';
import type { DeepvisMetadata, InputOverrides, LayerInfo, VisModel } from './types.js';

const TAPPABLE = new Set([
  'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative',
  'MatMul', '_FusedMatMul', 'BiasAdd', 'Add', 'AddV2',
  'Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Prelu',
  'MaxPool', 'AvgPool', 'FusedBatchNorm', 'FusedBatchNormV3', 'Mean', 'Softmax', 'ConcatV2',
]);

interface GraphNode {
  name: string;
  op: string;
}

function graphNodes(model: tf.GraphModel): GraphNode[] {
  const executor = (model as unknown as { executor?: { graph?: { nodes?: Record<string, GraphNode> } } }).executor;
  const nodes = executor?.graph?.nodes;
  if (nodes == null) throw new DeepvisError('graph model has no readable graph (unexpected tfjs-converter version)');
  return Object.values(nodes);
}

export function fromGraphModel(
  model: tf.GraphModel,
  metadata: DeepvisMetadata = {},
  overrides: InputOverrides = {},
): VisModel {
  if (model.inputs.length !== 1) {
    throw new DeepvisError(`deepvis needs a model with one image input; this one has ${model.inputs.length}`);
  }
  const inputName = model.inputs[0].name;
  const nativeShape = (model.inputs[0].shape ?? []).slice(1).map((d) => (d == null || d < 0 ? null : d));
  const input = resolveInputSpec(nativeShape, metadata, overrides);

  const candidates = graphNodes(model).filter((n) => TAPPABLE.has(n.op));
  const layers: LayerInfo[] = tf.tidy(() => {
    const probe = toNative(tf.zeros([1, ...input.shape]) as tf.Tensor4D, input);
    const outs = model.execute({ [inputName]: probe }, candidates.map((n) => n.name));
    const list = Array.isArray(outs) ? outs : [outs];
    return candidates
      .map((n, i) => ({ n, shape: list[i].shape.slice(1) }))
      .filter(({ shape }) => shape.length === 1 || shape.length === 3)
      .map(({ n, shape }, index) => ({ name: n.name, kind: n.op, outputShape: shape, units: shape[shape.length - 1], index }));
  });

  const outputNode = model.outputs[0]?.name ?? '';
  const softmaxOut = graphNodes(model).find((n) => n.name === outputNode.replace(/:0$/, ''))?.op === 'Softmax';
  const logitsLayer = metadata.logitsLayer ?? (softmaxOut ? layers[layers.length - 2]?.name ?? null : null);

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
        if (!offset) return model.execute({ [inputName]: native }, resolved);
        // Feeding a node overrides its value; everything downstream is computed from the feed.
        const node = findLayer(layers, offset.layer).name;
        const a = model.execute({ [inputName]: native }, node) as tf.Tensor;
        if (!tf.util.arraysEqual(a.shape, offset.delta.shape)) {
          throw new DeepvisError(`offset of shape [${offset.delta.shape.join(', ')}] does not fit layer '${node}'`);
        }
        return model.execute({ [inputName]: native, [node]: a.add(offset.delta) }, resolved);
      }),
    weightsOf(name) {
      const node = findLayer(layers, name).name;
      const graph = (model as unknown as { executor?: { graph?: { nodes?: Record<string, { inputNames?: string[]; inputs?: Array<{ name: string; op: string }> }> } } }).executor?.graph;
      const inputs = graph?.nodes?.[node]?.inputs ?? [];
      const weightMap = (model as unknown as { weights?: Record<string, tf.Tensor[]> }).weights ?? {};
      return inputs.filter((n) => n.op === 'Const' && weightMap[n.name]).map((n) => weightMap[n.name][0]);
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
