/**
 * FIFOs (and other special files) where a loader expects a file: each is refused in one line at
 * once, never waited on (severe 5: a FIFO named weights.bin kept `inspect` and `serve` forever).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadIdxPair } from '../../src/data/idx.js';
import { loadFolder } from '../../src/data/folder.js';
import { loadModel, saveLayersModel } from '../../src/io/model_files.js';
import { modelFiles } from '../../src/io/model_manifest.js';
import { encodeOnnx } from '../../src/model/formats/onnx/encode.js';
import { modelHash } from '../../src/report/model_hash.js';
import { encodePng } from '../../src/io/image.js';
import { fresh, mkfifo, refuses, within, type Case } from './kit.js';

/** A tfjs layers model folder (model.json + weights.bin). */
export async function layersModel(name: string): Promise<string> {
  const dir = fresh(name);
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 2,
        kernelSize: 3,
        name: 'conv',
        activation: 'relu',
      }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, name: 'logits' }),
    ],
  });
  await saveLayersModel(m, dir, { inputRange: [0, 1], channelOrder: 'gray' });
  m.dispose();
  return dir;
}

/** A valid one-Conv ONNX model; `external` puts its weight in a file of that name. */
export function tinyOnnx(external?: string): Uint8Array {
  const w = { name: 'w', dims: [2, 1, 3, 3], dtype: 'float32' as const };
  return encodeOnnx({
    opset: 17,
    inputs: [{ name: 'x', dims: [1, 1, 8, 8] }],
    outputs: [{ name: 'y' }],
    initializers: [
      external
        ? { ...w, data: [], external: { location: external, offset: 0, length: 72 } }
        : { ...w, data: new Array(18).fill(0.1) },
    ],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
  });
}

const fifoCase = (
  name: string,
  make: () => Promise<{ fifo: string; run: () => Promise<unknown> }>,
  re: RegExp,
): Case => ({
  surface: 'fifo',
  name,
  run: async () => {
    const { fifo, run } = await make();
    await refuses(run, re, 5000, [fifo]);
  },
});

const FIFO_RE = /is a FIFO \(named pipe\); refused/;

export const FIFO_CASES: Case[] = [
  fifoCase(
    'weights.bin that is a FIFO next to a valid model.json (severe 5)',
    async () => {
      const dir = await layersModel('fifo-weights');
      rmSync(path.join(dir, 'weights.bin'));
      const fifo = mkfifo(path.join(dir, 'weights.bin'));
      return { fifo, run: () => loadModel(dir) };
    },
    /weights\.bin is a FIFO \(named pipe\); refused/,
  ),
  fifoCase(
    'model.json that is a FIFO',
    async () => {
      const dir = fresh('fifo-json');
      const fifo = mkfifo(path.join(dir, 'model.json'));
      return { fifo, run: () => loadModel(fifo) };
    },
    FIFO_RE,
  ),
  fifoCase(
    'an .onnx file that is a FIFO (severe 5)',
    async () => {
      const fifo = mkfifo(path.join(fresh('fifo-onnx'), 'model.onnx'));
      return { fifo, run: () => loadModel(fifo) };
    },
    /model\.onnx is a FIFO/,
  ),
  fifoCase(
    'ONNX external data that is a FIFO (severe 5)',
    async () => {
      const dir = fresh('fifo-ext');
      writeFileSync(path.join(dir, 'model.onnx'), tinyOnnx('w.bin'));
      const fifo = mkfifo(path.join(dir, 'w.bin'));
      return { fifo, run: () => loadModel(path.join(dir, 'model.onnx')) };
    },
    /w\.bin is a FIFO/,
  ),
  fifoCase(
    'a Keras .h5 that is a FIFO',
    async () => {
      const fifo = mkfifo(path.join(fresh('fifo-h5'), 'model.h5'));
      return { fifo, run: () => loadModel(fifo) };
    },
    FIFO_RE,
  ),
  fifoCase(
    'a .keras file that is a FIFO',
    async () => {
      const fifo = mkfifo(path.join(fresh('fifo-keras'), 'model.keras'));
      return { fifo, run: () => loadModel(fifo) };
    },
    FIFO_RE,
  ),
  fifoCase(
    'a deepvis.json sidecar that is a FIFO',
    async () => {
      const dir = fresh('fifo-sidecar');
      writeFileSync(path.join(dir, 'model.onnx'), tinyOnnx());
      const fifo = mkfifo(path.join(dir, 'deepvis.json'));
      return { fifo, run: () => loadModel(path.join(dir, 'model.onnx')) };
    },
    /deepvis\.json is a FIFO/,
  ),
  fifoCase(
    "serve's list of a model's files with an .onnx that is a FIFO",
    async () => {
      const fifo = mkfifo(path.join(fresh('fifo-files'), 'model.onnx'));
      return { fifo, run: () => modelFiles(fifo) };
    },
    FIFO_RE,
  ),
  fifoCase(
    'an IDX images file that is a FIFO',
    async () => {
      const fifo = mkfifo(path.join(fresh('fifo-idx'), 'images-idx3-ubyte'));
      return { fifo, run: () => loadIdxPair(fifo, null, 'x') };
    },
    /images-idx3-ubyte is a FIFO/,
  ),
  fifoCase(
    'an image of a data folder that is a FIFO',
    async () => {
      const dir = fresh('fifo-folder');
      mkdirSync(path.join(dir, 'cats'));
      writeFileSync(
        path.join(dir, 'cats', 'a.png'),
        await encodePng(new Uint8Array(64).fill(90), 8, 8, 1),
      );
      const fifo = mkfifo(path.join(dir, 'cats', 'b.png'));
      return { fifo, run: () => loadFolder(dir, [8, 8, 1]) };
    },
    /b\.png is a FIFO/,
  ),
  {
    surface: 'fifo',
    name: "the atlas's model hash does not wait on a FIFO weights.bin",
    run: async () => {
      const dir = await layersModel('fifo-hash');
      rmSync(path.join(dir, 'weights.bin'));
      const fifo = mkfifo(path.join(dir, 'weights.bin'));
      await within(
        5000,
        modelHash(dir).catch(() => ''),
        [fifo],
      );
    },
  },
];
