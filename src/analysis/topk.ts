/**
 * Streaming top-k per unit: batches of activations go in, and for every unit the k largest values
 * seen so far and the indices of the images that gave them are kept. Memory is units × k whatever
 * the data set's size. The merge runs on the host: a value below a unit's current k-th best costs
 * one comparison.
 */
export class TopK {
  /** values[u·k + r]: rank r (0 = best) of unit u; −∞ where not filled. */
  readonly values: Float32Array;
  readonly indices: Int32Array;
  /** Something carried with each kept entry (the spatial position of a conv channel's maximum). */
  readonly aux: Int32Array;
  private readonly floor: Float32Array;

  constructor(
    readonly units: number,
    readonly k: number,
  ) {
    this.values = new Float32Array(units * k).fill(-Infinity);
    this.indices = new Int32Array(units * k).fill(-1);
    this.aux = new Int32Array(units * k).fill(-1);
    this.floor = new Float32Array(units).fill(-Infinity);
  }

  /** acts: [batch, units] row-major; image indices are offset + row; aux: [batch, units] or none. */
  push(acts: ArrayLike<number>, batch: number, offset: number, aux?: ArrayLike<number>): void {
    const { units } = this;
    for (let b = 0; b < batch; b++) {
      const row = b * units;
      for (let u = 0; u < units; u++) {
        const v = acts[row + u];
        if (!(v > this.floor[u])) continue;
        this.insert(u, v, offset + b, aux ? aux[row + u] : -1);
      }
    }
  }

  private insert(u: number, v: number, index: number, aux: number): void {
    const base = u * this.k;
    let r = this.k - 1;
    while (r > 0 && this.values[base + r - 1] < v) {
      this.values[base + r] = this.values[base + r - 1];
      this.indices[base + r] = this.indices[base + r - 1];
      this.aux[base + r] = this.aux[base + r - 1];
      r--;
    }
    this.values[base + r] = v;
    this.indices[base + r] = index;
    this.aux[base + r] = aux;
    this.floor[u] = this.values[base + this.k - 1];
  }

  unit(u: number): { values: number[]; indices: number[]; aux: number[] } {
    const s = u * this.k;
    const filled = Array.from(this.indices.subarray(s, s + this.k)).filter((i) => i >= 0).length;
    return {
      values: Array.from(this.values.subarray(s, s + filled)),
      indices: Array.from(this.indices.subarray(s, s + filled)),
      aux: Array.from(this.aux.subarray(s, s + filled)),
    };
  }
}
