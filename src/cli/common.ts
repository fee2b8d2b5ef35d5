/** Flags every command shares (backend, seed, input overrides) and what they turn into. */
import { initEngine, type BackendName, type EngineInfo } from '../engine/backend.js';
import { loadModel } from '../io/model_files.js';
import type { ChannelOrder, InputOverrides, VisModel } from '../model/types.js';
import { DeepvisError } from '../errors.js';
import { parseArgs, required, type FlagSpecs } from './args.js';

export const ENGINE_FLAGS: FlagSpecs = {
  backend: { type: 'string', help: 'compute backend', choices: ['wasm', 'cpu', 'tensorflow'], default: 'wasm' },
  seed: { type: 'int', help: 'random seed', default: 0 },
  quiet: { type: 'bool', help: 'no progress output' },
};

export const MODEL_FLAGS: FlagSpecs = {
  model: { type: 'string', help: 'model directory or model.json' },
  'input-range': { type: 'range', help: "pixel range the model expects, e.g. 0,255 (overrides the model's)" },
  'channel-order': { type: 'string', help: 'channel order of the input', choices: ['gray', 'rgb', 'bgr'] },
  'input-shape': { type: 'numbers', help: 'image shape H,W,C for models with flat input' },
};

export async function engineFrom(flags: Record<string, unknown>): Promise<EngineInfo> {
  return initEngine({ backend: flags.backend as BackendName });
}

export function overridesFrom(flags: Record<string, unknown>): InputOverrides {
  const shape = flags['input-shape'] as number[] | undefined;
  if (shape && (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d <= 0))) {
    throw new DeepvisError(`--input-shape must be H,W,C (three positive integers); got ${shape.join(',')}`);
  }
  return {
    range: flags['input-range'] as [number, number] | undefined,
    channelOrder: flags['channel-order'] as ChannelOrder | undefined,
    shape: shape as [number, number, number] | undefined,
  };
}

export async function modelFrom(flags: Record<string, unknown>, positional?: string): Promise<VisModel> {
  const path = (flags.model as string | undefined) ?? positional;
  if (!path) throw new DeepvisError('--model is required (a model directory or model.json)');
  return loadModel(path, overridesFrom(flags));
}

export { fileStem } from '../render/names.js';

export interface OpenedCommand {
  flags: Record<string, unknown>;
  out: string;
  engine: EngineInfo;
  model: VisModel;
}

/**
 * How every model command starts: flags parsed, --out required, `check` (flag validation, before
 * anything slow), engine up, model loaded.
 */
export async function openModelCommand(argv: readonly string[], specs: FlagSpecs, check: (flags: Record<string, unknown>) => void = () => {}): Promise<OpenedCommand> {
  const { flags } = parseArgs(argv, specs);
  const out = required<string>(flags, 'out');
  check(flags);
  const engine = await engineFrom(flags);
  const model = await modelFrom(flags);
  return { flags, out, engine, model };
}
