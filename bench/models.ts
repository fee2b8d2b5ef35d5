/**
 * The yardstick's models (its WORKLOADS.md, beside torch_bench.py): 'same' convolutions, stride 1, seeded
 * glorot-uniform weights, bias 0.01. Same architectures as torch_bench.py; values differ.
 */
import * as tf from '@tensorflow/tfjs';

const bias = () => tf.initializers.constant({ value: 0.01 });

function conv(name: string, filters: number, k: number, seed: number, inputShape?: number[]) {
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize: k,
    padding: 'same',
    activation: 'relu',
    inputShape,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: bias(),
  });
}

function dense(name: string, units: number, seed: number, activation?: 'relu') {
  return tf.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: bias(),
  });
}

export function modelA(): tf.Sequential {
  const m = tf.sequential({ name: 'A' });
  m.add(conv('a_conv1', 32, 5, 101, [28, 28, 1]));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(conv('a_conv2', 64, 5, 102));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(dense('a_dense1', 256, 103, 'relu'));
  m.add(dense('a_logits', 10, 104));
  return m;
}

export function modelB(): tf.Sequential {
  const m = tf.sequential({ name: 'B' });
  m.add(conv('b_conv1', 32, 3, 201, [64, 64, 3]));
  m.add(conv('b_conv2', 32, 3, 202));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(conv('b_conv3', 64, 3, 203));
  m.add(conv('b_conv4', 64, 3, 204));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(conv('b_conv5', 128, 3, 205));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(dense('b_dense1', 256, 206, 'relu'));
  m.add(dense('b_logits', 10, 207));
  return m;
}
