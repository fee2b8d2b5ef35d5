/**
 * Flags every command shares (backend, seed, input overrides) and what they turn into, and how a
 * command starts: --out checked, created and locked before anything slow (OutputSession).
 */
import { readFile } from 'node:fs/promises';
import { initEngine, type BackendName, type EngineInfo } from '../engine/backend.js';
import {
  GRADIENT_ENGINES,
  parseGradientEngine,
  type GradientEngineChoice,
} from '../engine/gradient_engine.js';
import { patchModeFrom } from '../engine/patches.js';
import { onnxRuntimeMissing } from '../engine/onnxruntime.js';
import { loadModel } from '../io/model_files.js';
import { classUnits, namesClasses, parseLabelsFile, withLabels } from '../model/labels.js';
import { OutputSession } from '../io/output.js';
import { PAPER, type FigureOptions } from '../render/figure.js';
import type { FitMode } from '../io/image.js';
import { startInputFitting } from './inputs.js';
import type { ChannelOrder, InputOverrides, VisModel } from '../model/types.js';
import { parseTokens } from '../model/tokens.js';
import { DeepvisError, printable } from '../errors.js';
import { parseArgs, required, type Flags, type FlagSpecs } from './args.js';

export const ENGINE_FLAGS = {
  backend: {
    type: 'string',
    help: 'compute backend',
    choices: ['wasm', 'cpu', 'tensorflow'],
    default: 'wasm',
  },
  seed: { type: 'int', help: 'random seed', default: 0 },
  quiet: { type: 'bool', help: 'no progress output' },
  gradients: {
    type: 'string',
    help: 'gradient engine: onnxruntime (ONNX models, Node) or tfjs; default auto, the fastest that works for the model (env DEEPVIS_GRADIENTS)',
    choices: GRADIENT_ENGINES,
  },
} as const satisfies FlagSpecs;

export const MODEL_FLAGS = {
  model: { type: 'string', help: 'model directory or model.json' },
  'input-range': {
    type: 'range',
    help: "pixel range the model expects, e.g. 0,255 (overrides the model's)",
  },
  'channel-order': {
    type: 'string',
    help: 'channel order of the input',
    choices: ['gray', 'rgb', 'bgr'],
  },
  'input-shape': {
    type: 'numbers',
    help: 'image shape H,W,C for models with flat input or a symbolic input size',
  },
  mean: {
    type: 'numbers',
    help: 'per-channel mean the model subtracts, in input-range units (ImageNet: 0.485,0.456,0.406)',
  },
  std: {
    type: 'numbers',
    help: 'per-channel std the model divides by (ImageNet: 0.229,0.224,0.225)',
  },
  tokens: {
    type: 'string',
    help: "a transformer's token layout, e.g. prefix=1,grid=14x14 (class token + 14×14 patches), when deepvis cannot infer it",
  },
  fit: {
    type: 'string',
    help: "how an input image of another size or aspect is fitted: 'cover' (scale and centre-crop) or 'pad' (scale and pad with black)",
    choices: ['cover', 'pad'],
    default: 'cover',
  },
  labels: {
    type: 'string',
    help: "class names: a file with one name a line, or a JSON list (overrides the model's and deepvis.json's)",
  },
} as const satisfies FlagSpecs;

/** --out and how the grids and charts written there are laid out: every command that writes pictures. */
export const OUT_FLAGS = {
  out: { type: 'string', help: 'output directory' },
  scale: {
    type: 'string',
    help: "grids and strips: 'auto' (default: tiles upscaled nearest-neighbour to at least 128 px), an integer factor (1 = the model's pixels), or a tile width like 256px; every grid and chart is also written as SVG",
  },
} as const satisfies FlagSpecs;

/** --scale as figure options: auto, N (factor) or Npx (minimum tile width). */
export function figureFrom(flags: Record<string, unknown>): FigureOptions {
  const text = flags.scale as string | undefined;
  if (text == null || text.trim() === 'auto') return PAPER;
  const factor = /^\s*(\d+)\s*$/.exec(text);
  if (factor && Number(factor[1]) >= 1 && Number(factor[1]) <= 64)
    return { scale: Number(factor[1]) };
  const px = /^\s*(\d+)\s*px\s*$/i.exec(text);
  if (px && Number(px[1]) >= 1 && Number(px[1]) <= 4096)
    return { scale: 'auto', minTile: Number(px[1]) };
  throw new DeepvisError(
    `--scale must be auto, an integer factor 1…64 or a tile width like 256px; got '${printable(text)}'`,
  );
}

export async function engineFrom(flags: Record<string, unknown>): Promise<EngineInfo> {
  const gradients = parseGradientEngine(
    (flags.gradients as string | undefined) ?? process.env.DEEPVIS_GRADIENTS,
    flags.gradients ? '--gradients' : 'DEEPVIS_GRADIENTS',
  );
  return startEngine(flags.backend as BackendName, gradients);
}

/** DEEPVIS_MEMORY_MB as the engine's budget in bytes (unset, or not a positive number: the default). */
function memoryFromEnv(mb: string | undefined): number | undefined {
  const v = Number(mb);
  return mb != null && Number.isFinite(v) && v > 0 ? v * 2 ** 20 : undefined;
}

/**
 * initEngine, minus the process handlers the wasm module installs while it starts: emscripten
 * adds an uncaughtException handler that rethrows (Node then exits 7 with a stack trace) and an
 * unhandledRejection one; the CLI's last-resort handler must decide the exit code instead.
 */
export async function startEngine(
  backend: BackendName = 'wasm',
  gradients?: GradientEngineChoice,
): Promise<EngineInfo> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => new Set(emitter.listeners(e)));
  const info = await initEngine({
    backend,
    gradients,
    patches: patchModeFrom(process.env.DEEPVIS_ENGINE),
    memoryBudget: memoryFromEnv(process.env.DEEPVIS_MEMORY_MB),
  });
  events.forEach((e, i) => {
    for (const l of emitter.listeners(e))
      if (!before[i].has(l)) emitter.off(e, l as (...args: unknown[]) => void);
  });
  return info;
}

/** --out (or another output folder flag) checked, created, locked and staged: the one check every command goes through. */
export function openOutput(
  dir: string | undefined,
  flag = '--out',
  figure: FigureOptions = PAPER,
): Promise<OutputSession> {
  return OutputSession.open(dir, flag, figure);
}

export function overridesFrom(flags: Record<string, unknown>): InputOverrides {
  const shape = flags['input-shape'] as number[] | undefined;
  if (shape && (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d <= 0))) {
    throw new DeepvisError(
      `--input-shape must be H,W,C (three positive integers); got ${shape.join(',')}`,
    );
  }
  return {
    range: flags['input-range'] as [number, number] | undefined,
    channelOrder: flags['channel-order'] as ChannelOrder | undefined,
    shape: shape as [number, number, number] | undefined,
    mean: flags.mean as number[] | undefined,
    std: flags.std as number[] | undefined,
    tokens: typeof flags.tokens === 'string' ? parseTokens(flags.tokens) : undefined,
  };
}

export async function modelFrom(
  flags: Record<string, unknown>,
  positional?: string,
): Promise<VisModel> {
  const path = (flags.model as string | undefined) ?? positional;
  if (!path)
    throw new DeepvisError(
      '--model is required (a model directory, model.json, .onnx, .h5 or .keras file)',
    );
  startInputFitting((flags.fit as FitMode | undefined) ?? 'cover');
  let model = await loadModel(path, overridesFrom(flags));
  const labelsFile = flags.labels as string | undefined;
  if (labelsFile) {
    const text = await readFile(labelsFile, 'utf8').catch(() => {
      throw new DeepvisError(`--labels: cannot read ${printable(labelsFile)}`);
    });
    model = withLabels(model, parseLabelsFile(text, labelsFile), `--labels ${labelsFile}`);
  }
  // The first command that would use onnxruntime says once why it does not (inspect shows it too).
  const missing =
    model.format === 'onnx' && model.forwardEngine === 'tfjs' ? onnxRuntimeMissing() : null;
  if (missing && !ortNoteSaid) process.stderr.write(`note: ${missing}\n`);
  ortNoteSaid ||= missing != null;
  // Without onnxruntime-node the line above already says why gradients run on tfjs too.
  if (!missing) noteGradientEngine(model, flags);
  return model;
}

/**
 * One line on stderr when an ONNX model's gradients cannot run on onnxruntime although they would
 * by default (onnxruntime missing, an op without a VJP) or were asked for; `inspect` says it anyway.
 */
function noteGradientEngine(model: VisModel, flags: Record<string, unknown>): void {
  if (model.format !== 'onnx' || model.gradientEngine !== 'tfjs' || flags.quiet || flags.json)
    return;
  const why = model.gradientEngineWhy ?? '';
  if (/--gradients/.test(why) || /no native engine/.test(why)) return;
  process.stderr.write(`note: gradients of this model run on tfjs: ${why}\n`);
}
let ortNoteSaid = false;

export { fileStem } from '../render/names.js';

export interface OpenedCommand<S extends FlagSpecs = FlagSpecs> {
  flags: Flags<S>;
  /** The flags the user gave. */
  given: ReadonlySet<string>;
  /** --out, as given (messages); files go through `output`. */
  out: string;
  /** Where the command's files are staged; commit() at the end puts them in place. */
  output: OutputSession;
  engine: EngineInfo;
  model: VisModel;
}

/**
 * How every model command starts: flags parsed, --out required, `check` (flag validation, before
 * anything slow), --out checked/created/locked, engine up, model loaded.
 */
export async function openModelCommand<S extends FlagSpecs>(
  argv: readonly string[],
  specs: S,
  check: (flags: Flags<S>, given: ReadonlySet<string>) => void = () => {},
): Promise<OpenedCommand<S>> {
  // --units happy,sad names classes: resolved once the model (and its class names) is loaded.
  const at = argv.findIndex((a) => a === '--units' || a.startsWith('--units='));
  const unitText =
    at < 0 ? undefined : argv[at] === '--units' ? argv[at + 1] : argv[at].slice('--units='.length);
  const named = 'units' in specs && unitText != null && namesClasses(unitText);
  const plain = named
    ? argv
        .map((a, i) => (i === at ? '--units=0' : i === at + 1 && argv[at] === '--units' ? null : a))
        .filter((a): a is string => a != null)
    : argv;
  const { flags, given } = parseArgs(plain, specs);
  const out = required<string>(flags as Record<string, unknown>, 'out');
  const figure = figureFrom(flags as Record<string, unknown>);
  if (!named) check(flags, given);
  const output = await openOutput(out, '--out', figure);
  const engine = await engineFrom(flags);
  const model = await modelFrom(flags);
  if (named) {
    (flags as Record<string, unknown>).units = classUnits(unitText, model);
    check(flags, given);
  }
  return { flags, given, out, output, engine, model };
}
