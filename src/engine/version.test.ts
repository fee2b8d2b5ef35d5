/** The engine refuses another tfjs release with one line naming the package and both versions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTfjsVersion, TFJS_VERSION } from './version.js';

describe('tfjs version check', () => {
  it('accepts the loaded tfjs (the pinned 4.22.0) and refuses any other, naming it', () => {
    assert.equal(TFJS_VERSION, '4.22.0');
    assert.doesNotThrow(() => checkTfjsVersion());
    assert.throws(
      () =>
        checkTfjsVersion({
          '@tensorflow/tfjs-core': '4.22.0',
          '@tensorflow/tfjs-backend-wasm': '4.21.0',
        }),
      /^DeepvisError: deepvis needs tfjs 4\.22\.0 exactly \(it patches tfjs internals\), but @tensorflow\/tfjs-backend-wasm 4\.21\.0 is loaded$/,
    );
  });
});
