/**
 * A layer (or any) name as a file-name part, shared by the CLI and the atlas (writing) and the web
 * app (finding report files). Graph node names carry '/' and ':', and a model file may name a layer
 * '..', '.hidden' or 5,000 characters; the encoding is
 *   - safe: only [A-Za-z0-9_.+-] and '~', never empty, never starting with '.';
 *   - injective: letters, digits, '_', '+', '-' and a '.' after the first character stand for
 *     themselves; every other character is '~' and its UTF-8 bytes in hex (~2F for '/', ~7E for '~'),
 *     so 'a/b' → 'a~2Fb' and 'a:b' → 'a~3Ab' differ, and '' is '~';
 *   - bounded: past MAX_STEM characters, the encoding's head and '~~' and 20 hex digits of the
 *     name's SHA-256 (a '~~' never occurs in an untruncated stem, so the two kinds cannot meet).
 * The page itself always shows the full name.
 */
export const MAX_STEM = 120;
const HEAD = 96;

const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

export function fileStem(name: string): string {
  if (name === '') return '~';
  let out = '';
  for (const ch of name) {
    if (/^[A-Za-z0-9_+-]$/.test(ch) || (ch === '.' && out !== '')) out += ch;
    else for (const b of new TextEncoder().encode(ch)) out += `~${hex2(b)}`;
  }
  if (out.length <= MAX_STEM) return out;
  let head = out.slice(0, HEAD);
  // Never cut an escape in two.
  const tilde = head.lastIndexOf('~');
  if (tilde >= 0 && tilde > HEAD - 3) head = head.slice(0, tilde);
  return `${head}~~${sha256Hex(name).slice(0, 20)}`;
}

// SHA-256 (FIPS 180-4), synchronous and without node:crypto so the page can run it too.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256Hex(text: string): string {
  const msg = new TextEncoder().encode(text);
  const len = Math.ceil((msg.length + 9) / 64) * 64;
  const buf = new Uint8Array(len);
  buf.set(msg);
  buf[msg.length] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(len - 8, Math.floor((msg.length * 8) / 2 ** 32));
  view.setUint32(len - 4, (msg.length * 8) >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < len; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 =
        (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, '0')).join('');
}

/**
 * An input's name as a file-name part: a file path gives its stem ("photos/cat 1.jpg" → "cat_1"),
 * not the whole path with '/' turned into '_' and the extension kept; DATASET:INDEX stays readable
 * ("mnist:3" → "mnist_3").
 */
export function inputStem(input: string): string {
  const base = input.replace(/^.*[\\/]/, '');
  const stem = /\.(png|jpe?g|webp|gif|tiff?|bmp|avif)$/i.test(base)
    ? base.replace(/\.[^.]+$/, '')
    : base;
  // Readable over injective: an output named after its input ('mnist_3', 'cat_1'); fileStem keeps it safe and bounded.
  return fileStem((stem || input).replace(/[^A-Za-z0-9_.+-]/g, '_'));
}
