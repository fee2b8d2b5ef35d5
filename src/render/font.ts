/**
 * A 3×5 bitmap font, so labels can be drawn into images with no canvas and no system fonts
 * (identical output in Node and the browser). Lower case is drawn as upper case.
 */
import type { RgbaImage } from './image.js';

const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001001010010',
  '8': '111101111101111',
  '9': '111101111001111',
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  '.': '000000000000010',
  ',': '000000000010100',
  ':': '000010000010000',
  '-': '000000111000000',
  _: '000000000000111',
  '=': '000111000111000',
  '+': '000010111010000',
  '/': '001001010100100',
  '(': '010100100100010',
  ')': '010001001001010',
  '%': '101001010100101',
  '#': '101111101111101',
  '[': '110100100100110',
  ']': '011001001001011',
  "'": '010010000000000',
  '×': '000101010101000',
  '*': '000101010101000',
  '?': '111001011000010',
  '!': '010010010000010',
  '<': '001010100010001',
  '>': '100010001010100',
  ' ': '000000000000000',
  '|': '010010010010010',
  '@': '111101111100011',
};

export const GLYPH_W = 3;
export const GLYPH_H = 5;

export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_W + 1) - 1) * scale;
}

export function drawText(
  img: RgbaImage,
  text: string,
  x0: number,
  y0: number,
  scale = 1,
  rgb: [number, number, number] = [0, 0, 0],
): void {
  let x = x0;
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS['?'];
    for (let gy = 0; gy < GLYPH_H; gy++) {
      for (let gx = 0; gx < GLYPH_W; gx++) {
        if (glyph[gy * GLYPH_W + gx] !== '1') continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const px = x + gx * scale + sx;
            const py = y0 + gy * scale + sy;
            if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
            img.data.set([rgb[0], rgb[1], rgb[2], 255], (py * img.width + px) * 4);
          }
        }
      }
    }
    x += (GLYPH_W + 1) * scale;
  }
}
