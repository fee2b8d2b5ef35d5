/** Output names from the input's file stem (issue 30: "occlusion-_tmp_x_photos_cat.png.png"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inputStem } from './names.js';

describe('inputStem', () => {
  it('keeps the stem of a file path, and a data-set reference readable', () => {
    assert.equal(inputStem('/home/me/photos/cat 1.png'), 'cat_1');
    assert.equal(inputStem('C:\\pics\\dog.JPEG'), 'dog');
    assert.equal(inputStem('faces/happy.face.jpg'), 'happy.face');
    assert.equal(inputStem('mnist:3'), 'mnist_3');
    assert.equal(inputStem('scan.npy'), 'scan.npy');
  });
});
