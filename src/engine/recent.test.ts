/** The use-ordered cache: made once per key, a hit moves to the back, the least recently used goes first. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recent } from './recent.js';

describe('recent', () => {
  it('makes each key once, keeps the last `kept` in use order and drops the oldest', () => {
    const map = new Map<string, number>();
    const made: string[] = [];
    const dropped: number[] = [];
    const get = (k: string) =>
      recent(
        map,
        k,
        () => (made.push(k), k.charCodeAt(0)),
        2,
        (v) => dropped.push(v),
      );
    assert.equal(get('a'), 97);
    assert.equal(get('b'), 98);
    assert.equal(get('a'), 97); // a hit: a is now the most recent
    assert.equal(get('c'), 99); // b is the least recently used
    assert.deepEqual(made, ['a', 'b', 'c']);
    assert.deepEqual(dropped, [98]);
    assert.deepEqual([...map.keys()], ['a', 'c']);
  });
});
