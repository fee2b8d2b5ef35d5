/**
 * Classifier architectures deepvis trains itself. Softmax is its own layer, so the pre-softmax
 * scores (`logits`) can be tapped: class visualizations maximize logits, not probabilities
 * (Simonyan et al.; maximizing a probability can be done by suppressing the other classes).
 */
import * as tf from '@tensorflow/tfjs';

export type ClassifierArch = 'cnn' | 'mlp';

export function buildClassifier(
  arch: ClassifierArch,
  shape: readonly [number, number, number],
  classes: number,
  seed = 0,
): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const m = tf.sequential({ name: `deepvis_${arch}` });
  if (arch === 'cnn') {
    m.add(
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [...shape],
        filters: 16,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
    );
    m.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
    m.add(
      tf.layers.conv2d({
        name: 'conv2',
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(2),
      }),
    );
    m.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
    m.add(
      tf.layers.conv2d({
        name: 'conv3',
        filters: 64,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(3),
      }),
    );
    m.add(tf.layers.maxPooling2d({ name: 'pool3', poolSize: 2 }));
    m.add(tf.layers.flatten({ name: 'flatten' }));
    m.add(
      tf.layers.dense({
        name: 'dense1',
        units: 128,
        activation: 'relu',
        kernelInitializer: init(4),
      }),
    );
    m.add(tf.layers.dropout({ name: 'dropout', rate: 0.3, seed }));
  } else {
    m.add(tf.layers.flatten({ name: 'flatten', inputShape: [...shape] }));
    m.add(
      tf.layers.dense({
        name: 'dense1',
        units: 256,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
    );
    m.add(
      tf.layers.dense({
        name: 'dense2',
        units: 128,
        activation: 'relu',
        kernelInitializer: init(2),
      }),
    );
  }
  m.add(tf.layers.dense({ name: 'logits', units: classes, kernelInitializer: init(9) }));
  m.add(tf.layers.activation({ name: 'softmax', activation: 'softmax' }));
  return m;
}
