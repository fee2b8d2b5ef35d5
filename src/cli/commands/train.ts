/** deepvis train --arch cnn|mlp --data mnist|fashion-mnist|PATH --epochs N --out DIR */
import * as path from 'node:path';
import { loadDataSplit } from '../../data/load.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { saveLayersModel } from '../../io/model_files.js';
import { buildClassifier, type ClassifierArch } from '../../train/architectures.js';
import { fitClassifier } from '../../train/fit.js';
import { DeepvisError } from '../../errors.js';
import { parseArgs, required, usage, type FlagSpecs } from '../args.js';
import { engineFrom, ENGINE_FLAGS } from '../common.js';
import { Progress } from '../progress.js';

const SPECS: FlagSpecs = {
  arch: { type: 'string', help: 'architecture', choices: ['cnn', 'mlp'] },
  data: { type: 'string', help: 'mnist | fashion-mnist | a folder of images (one subfolder per class)', default: 'mnist' },
  epochs: { type: 'int', help: 'passes over the training set', default: 10 },
  out: { type: 'string', help: 'output directory for model.json, weights.bin, metrics.json' },
  batch: { type: 'int', help: 'mini-batch size', default: 64 },
  lr: { type: 'number', help: 'Adam learning rate', default: 1e-3 },
  shift: { type: 'int', help: 'random shift augmentation in pixels (default 2 for mnist, else 0)' },
  ...ENGINE_FLAGS,
};
export const help = usage('train', '--arch cnn|mlp --data D --epochs N --out DIR', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags } = parseArgs(argv, SPECS);
  const arch = required<ClassifierArch>(flags, 'arch');
  const out = required<string>(flags, 'out');
  const epochs = flags.epochs as number;
  if (epochs < 1) throw new DeepvisError(`--epochs must be at least 1; got ${epochs}`);
  const dataSpec = flags.data as string;
  const engine = await engineFrom(flags);
  const seed = flags.seed as number;
  const { train, test } = await loadDataSplit(dataSpec, [28, 28, 1], seed);
  if (!train.labels) throw new DeepvisError(`data set ${dataSpec} has no labels (a folder needs one subfolder per class)`);
  const classes = train.classNames?.length ?? Math.max(...train.labels) + 1;
  const model = buildClassifier(arch, train.shape, classes, seed);
  const quiet = Boolean(flags.quiet);
  const t0 = performance.now();
  console.log(`training ${arch} on ${dataSpec}: ${train.count} train / ${test.count} test images, ${epochs} epochs, backend ${engine.backend}`);
  let bar: Progress | null = null;
  const history = await fitClassifier(model, train, test, classes, {
    epochs,
    batchSize: flags.batch as number,
    learningRate: flags.lr as number,
    seed,
    shift: (flags.shift as number | undefined) ?? (dataSpec === 'mnist' ? 2 : 0),
    onBatch: ({ epoch, batch, batches, loss }) => {
      if (batch === 0) bar = new Progress(`epoch ${epoch + 1}/${epochs}`, batches, quiet);
      bar?.update(batch + 1, `loss ${loss.toFixed(3)}`);
    },
    onEpoch: (e) => {
      bar?.done();
      console.log(
        `epoch ${e.epoch}: loss ${e.loss.toFixed(4)} acc ${(100 * e.accuracy).toFixed(2)}% | test loss ${e.testLoss.toFixed(4)} acc ${(100 * e.testAccuracy).toFixed(2)}% | ${e.seconds.toFixed(1)}s`,
      );
    },
  });
  const wall = (performance.now() - t0) / 1000;
  await saveLayersModel(model, out, {
    arch,
    dataset: dataSpec,
    inputRange: [0, 1],
    channelOrder: 'gray',
    imageShape: [...train.shape] as [number, number, number],
    labels: train.classNames ?? undefined,
    logitsLayer: 'logits',
  });
  const last = history[history.length - 1];
  await writeJsonAtomic(path.join(out, 'metrics.json'), {
    arch, dataset: dataSpec, seed, backend: engine.backend,
    trainCount: train.count, testCount: test.count,
    epochs: history, testAccuracy: last.testAccuracy, testLoss: last.testLoss, wallSeconds: wall,
  });
  console.log(`test accuracy ${(100 * last.testAccuracy).toFixed(2)}% in ${wall.toFixed(1)}s; saved to ${out}`);
  model.dispose();
}
