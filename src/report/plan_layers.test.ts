/**
 * The atlas covers every weighted layer of an imported model: a PyTorch nn.Linear exports as ONNX
 * Gemm (or MatMul), and the classifier head once had no page because only dense/conv/matmul kinds
 * were matched.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { connectionMatrix, isWeighted, weightedBelow } from '../analysis/connections.js';
import { loadModel } from '../io/model_files.js';
import type { VisModel } from '../model/types.js';
import { setup } from '../../test/helpers.js';
import { planReport } from './plan.js';

const RESNET = 'test/fixtures/onnx/trained/mnist-resnet/model.onnx';
let model: VisModel;

before(async () => {
  await setup('wasm');
  model = await loadModel(RESNET);
});

describe('atlas layers of a PyTorch export', () => {
  it('counts the Gemm head as weighted, and the atlas plans a page for it', () => {
    const fc = model.layer('fc');
    assert.equal(fc.kind, 'Gemm');
    assert.ok(isWeighted(model, fc));
    const layers = planReport(model).layers.map((l) => l.name);
    assert.ok(layers.includes('fc'), layers.join(', '));
    assert.ok(layers.includes('conv1'));
  });

  it("draws the Gemm head's connections to the conv below (kernel [in, out] summed per channel)", () => {
    const fc = model.layer('fc');
    const below = weightedBelow(model, fc)!;
    const { rows, cols, matrix } = connectionMatrix(model, 'fc');
    assert.equal(rows, below.units);
    assert.equal(cols, 10);
    // Flatten after a global pool: one input per channel, so the matrix is the kernel itself.
    const w = model.weightsOf('fc')[0].arraySync() as number[][];
    assert.ok(Math.abs(matrix[3 * cols + 7] - w[3][7]) < 1e-6);
  });
});
