/** Class names put on a model, read from a labels file, and named as --units (hand-made answers). */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isMnistLike } from '../../web/app/src/fit_input.js';
import { setup } from '../../test/helpers.js';
import { loadModel } from '../io/model_files.js';
import {
  classUnits,
  namesClasses,
  parseLabelsFile,
  withDatasetLabels,
  withLabels,
} from './labels.js';
import type { VisModel } from './types.js';
import { netModel, weight } from '../../test/onnx_nets.js';

const RESNET = 'test/fixtures/onnx/trained/mnist-resnet/model.onnx';
const FASHION = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
let model: VisModel;
let dir: string;

before(async () => {
  await setup('wasm');
  // The fixture's deepvis.json names the digits: the bare file, as a user's export comes, names nothing.
  dir = await mkdtemp(path.join(tmpdir(), 'deepvis-labels-'));
  await copyFile(RESNET, path.join(dir, 'model.onnx'));
  model = await loadModel(path.join(dir, 'model.onnx'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('class names', () => {
  it('a 1000-class ONNX model gets the ImageNet names and keeps its getters live', async () => {
    const wide = await netModel({
      input: [3, 4, 4],
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'v', 'b'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      initializers: [weight('v', [1000, 48], 1), weight('b', [1000], 2)],
      output: 'y',
    });
    assert.equal(wide.labels?.length, 1000);
    assert.match(String(wide.metadata.labelsFrom), /assumed: ImageNet-1k/);
    assert.match(wide.forwardEngine ?? '', /^onnxruntime/);
    // A copy made by a spread would have frozen the engine it was loaded with.
    wide.useEngine!('tfjs');
    assert.equal(wide.forwardEngine, 'tfjs');
    wide.dispose();
  });

  it('an ONNX export names no classes; withLabels puts them on, keeping the live getters', () => {
    assert.equal(model.labels, null);
    const named = withLabels(model, FASHION, '--labels f.txt');
    assert.deepEqual(named.labels, FASHION);
    assert.equal(named.metadata.labelsFrom, '--labels f.txt');
    assert.equal(named.forwardEngine, model.forwardEngine);
    assert.equal(named.layer('fc').units, 10);
    assert.throws(
      () => withLabels(model, FASHION.slice(0, 9), '--labels f.txt'),
      /names 9 classes; the model scores 10/,
    );
  });

  it("takes a data set's names only when the model has none and they fit", () => {
    assert.deepEqual(withDatasetLabels(model, FASHION, 'fashion-mnist').labels, FASHION);
    assert.equal(withDatasetLabels(model, ['a', 'b'], 'two').labels, null);
    const own = withLabels(model, FASHION, 'x');
    assert.equal(withDatasetLabels(own, [...FASHION].reverse(), 'y').labels, own.labels);
  });

  it('reads a labels file: one name a line, or a JSON list', () => {
    assert.deepEqual(parseLabelsFile('happy\r\nsad\n\nangry\n', 'f'), ['happy', 'sad', 'angry']);
    assert.deepEqual(parseLabelsFile('["a b", "c"]', 'f'), ['a b', 'c']);
    assert.throws(() => parseLabelsFile('[1, 2]', 'f.json'), /list of strings/);
    assert.throws(() => parseLabelsFile('\n\n', 'e.txt'), /e\.txt is empty/);
  });

  it('resolves --units by class name (exact, then any case), numbers passing through', () => {
    const named = withLabels(model, FASHION, 'x');
    assert.ok(namesClasses('Coat,Bag'));
    assert.ok(!namesClasses('0-3,7'));
    assert.ok(!namesClasses('all'));
    assert.deepEqual(classUnits('Coat,ankle boot,0-1', named), [4, 9, 0, 1]);
    assert.throws(
      () => classUnits('Hat', named),
      /'Hat' is not a class name; the classes are T-shirt\/top, Trouser/,
    );
    assert.throws(() => classUnits('Coat', model), /names no classes \(give --labels FILE/);
  });

  it("offers digit centring only for a digit model, not for a clothing model of MNIST's shape", () => {
    assert.ok(isMnistLike(model));
    assert.ok(!isMnistLike(model, 'fashion-mnist'));
    assert.ok(isMnistLike(model, 'mnist:eval'));
    // A colour model served beside MNIST is not fitted as a digit (its input is 48×48×3).
    const colour = {
      ...model,
      metadata: {},
      input: { ...model.input, shape: [48, 48, 3] as const },
    };
    assert.ok(!isMnistLike(colour as typeof model, 'mnist'));
    assert.ok(!isMnistLike(withLabels(model, FASHION, 'x')));
    assert.ok(
      isMnistLike(withLabels(model, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'x')),
    );
  });
});
