/**
 * Grad-CAM's default layer on a fully convolutional head (the emotion model of issue 30): a 1×1
 * conv makes a 4×4×C class-score map that is pooled into the C scores. That map is the scores, not
 * the features; the default is the last map with more channels than classes.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { setup } from '../../test/helpers.js';
import { fromLayersModel } from '../model/layers_adapter.js';
import { defaultCamLayer } from './cam.js';

before(() => setup('wasm'));

function fcnHead(classes: number, features: number): tf.LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: features,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'features',
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
  m.add(tf.layers.conv2d({ filters: classes, kernelSize: 1, name: 'class_map' }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.activation({ activation: 'softmax', name: 'probs' }));
  return m;
}

describe('the default CAM layer', () => {
  it('skips the class-score map of a fully convolutional head', () => {
    const model = fromLayersModel(fcnHead(7, 16));
    const t = { layer: model.layer('probs') } as Parameters<typeof defaultCamLayer>[1];
    assert.equal(defaultCamLayer(model, t).name, 'features');
    model.dispose();
  });

  it('keeps the last map when it has more channels than classes, and falls back when none has', () => {
    const wide = fromLayersModel(fcnHead(3, 16));
    assert.equal(
      defaultCamLayer(wide, { layer: wide.layer('probs') } as Parameters<typeof defaultCamLayer>[1])
        .name,
      'features',
    );
    const head = wide.layer('class_map');
    // A target inside the network (a channel of 'features', 16 units): no earlier map is wider, so the last map is taken.
    assert.equal(
      defaultCamLayer(wide, { layer: wide.layer('features') } as Parameters<
        typeof defaultCamLayer
      >[1]).name,
      'features',
    );
    assert.equal(head.outputShape[2], 3);
    const narrow = fromLayersModel(fcnHead(20, 16));
    assert.equal(
      defaultCamLayer(narrow, { layer: narrow.layer('probs') } as Parameters<
        typeof defaultCamLayer
      >[1]).name,
      'class_map',
    );
    wide.dispose();
    narrow.dispose();
  });
});
