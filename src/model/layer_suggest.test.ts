/** "did you mean": a PyTorch module path's suffix, a block's modules, a typo; the long list cut around the guess. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editDistance, layerSuggestions, unknownLayer } from './layer_lookup.js';

const NAMES = ['net.conv1', 'net.bn1', 'net.relu', 'net.maxpool'];
for (const l of [1, 2, 3, 4])
  for (const b of [0, 1])
    for (const m of ['conv1', 'bn1', 'relu', 'conv2', 'bn2']) NAMES.push(`net.layer${l}.${b}.${m}`);
NAMES.push('net.layer4', 'net.avgpool', 'net.fc');

describe('layer suggestions', () => {
  it('counts edits', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('conv1', 'conv1'), 0);
  });

  it('suggests the module path ending in the name first, then its block, then near misses', () => {
    const g = layerSuggestions('layer4', NAMES);
    assert.equal(g[0], 'net.layer4');
    assert.ok(g.includes('net.layer4.1.bn2'));
    assert.deepEqual(layerSuggestions('fc', NAMES), ['net.fc']);
    assert.deepEqual(layerSuggestions('layer4.1.conv', NAMES).slice(0, 2), [
      'net.layer4.1.conv1',
      'net.layer4.1.conv2',
    ]);
    assert.deepEqual(layerSuggestions('Conv1', ['conv1', 'dense']), ['conv1']);
    assert.deepEqual(layerSuggestions('zzz', NAMES), []);
  });

  it('lists the layers near the guess, not the first 30, when the model has many', () => {
    const m = unknownLayer('layer4', NAMES);
    assert.match(m, /^unknown layer 'layer4'; did you mean net\.layer4 or /);
    assert.match(
      m,
      /layers near it: …, .*net\.layer4, net\.avgpool, net\.fc \(47 in all; deepvis inspect lists them\)$/,
    );
    assert.ok(!m.includes('net.conv1,'), m);
    assert.equal(unknownLayer('zzz', ['a', 'b']), "unknown layer 'zzz'; known: a, b");
  });
});
