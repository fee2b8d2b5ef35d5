/** deepvis inspect MODEL: the layer table, what the model needs as input, and gradient support. */
import { onnxRuntimeMissing } from '../../engine/onnxruntime.js';
import { printable } from '../../errors.js';
import { gradientCheck } from '../../model/gradient_check.js';
import type { VisModel } from '../../model/types.js';
import { parseArgs, usage, type FlagSpecs } from '../args.js';
import { engineFrom, ENGINE_FLAGS, MODEL_FLAGS, modelFrom } from '../command.js';

const SPECS: FlagSpecs = {
  ...MODEL_FLAGS,
  ...ENGINE_FLAGS,
  json: { type: 'bool', help: 'print JSON instead of a table' },
};
export const help = usage('inspect', 'MODEL [options]', SPECS);

export async function run(argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(argv, SPECS);
  const engine = await engineFrom(flags);
  const model = await modelFrom(flags, positional[0]);
  const grad = gradientCheck(model);
  const info = {
    format: model.format,
    forwardEngine: model.forwardEngine ?? 'tfjs',
    gradientEngine: model.gradientEngine ?? 'tfjs',
    gradientEngineWhy: model.gradientEngineWhy ?? '',
    ...(model.ruleSetEngines ? { ruleSetEngines: model.ruleSetEngines } : {}),
    ...(model.format === 'onnx' && model.forwardEngine === 'tfjs' && onnxRuntimeMissing()
      ? { forwardEngineNote: onnxRuntimeMissing() }
      : {}),
    input: model.input,
    labels: model.labels,
    logitsLayer: model.logitsLayer,
    layers: model.layers,
    gradient: grad,
    backend: engine.backend,
    engine: engine.patches,
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return;
  }
  const p = model.input.provenance;
  const out: string[] = [];
  out.push(
    `format: ${model.format} model   backend: ${engine.backend}${engine.patches === 'stock' ? ' (stock tfjs: DEEPVIS_ENGINE=stock)' : ''}   forward passes without a gradient: ${model.forwardEngine ?? 'tfjs'}`,
  );
  out.push(
    `gradients: ${model.gradientEngine ?? 'tfjs'}${model.gradientEngineWhy ? ` (${model.gradientEngineWhy})` : ''}`,
  );
  if (model.ruleSetEngines && model.gradientEngine !== 'tfjs')
    out.push(
      `rule sets (LRP, DeepLIFT): ${model.ruleSetEngines.map((r) => `${r.name} on ${r.engine}${r.engine === 'tfjs' ? ` (${r.why})` : ''}`).join('; ')}`,
    );
  out.push(
    `input: ${model.input.shape.join('×')} (${p.shape})${model.input.nativeShape.length !== 3 ? `, fed to the model as [${model.input.nativeShape.join(', ')}]` : ''}`,
  );
  out.push(
    `value range: ${model.input.range.join(' … ')} (${p.range})   channel order: ${model.input.channelOrder} (${p.channelOrder})`,
  );
  const norm = model.input.normalize;
  out.push(
    norm
      ? `normalization: (x − mean) / std with mean ${norm.mean.join(',')}, std ${norm.std.join(',')} (${p.normalize})`
      : `normalization: none (${p.normalize}${p.normalize === 'assumed' ? "; a model trained on normalized images needs --mean/--std, e.g. ImageNet's 0.485,0.456,0.406 / 0.229,0.224,0.225" : ''})`,
  );
  if ((model.format === 'onnx' || model.format === 'keras') && p.range === 'assumed') {
    out.push(
      `note: ${model.format === 'onnx' ? 'ONNX' : 'Keras'} files do not say what input they expect; the range and normalization above are assumptions. Put the facts in a deepvis.json next to the model (inputRange, mean, std, channelOrder, labels) or pass --input-range/--mean/--std.`,
    );
  }
  if (model.labels) {
    const from =
      typeof model.metadata.labelsFrom === 'string' ? ` (${model.metadata.labelsFrom})` : '';
    const shown =
      model.labels.length > 12
        ? `${model.labels.slice(0, 12).join(', ')}, … (${model.labels.length} in all)`
        : model.labels.join(', ');
    out.push(`classes: ${shown}${from}`);
  }
  if (model.logitsLayer) out.push(`pre-softmax scores: ${model.logitsLayer}`);
  out.push(...transformerLines(model));
  out.push(
    grad.ok
      ? 'input gradients: ok'
      : `input gradients: FAIL — no gradient for ${grad.missing.join(', ') || '?'} (${grad.error})`,
  );
  out.push('');
  const nameW = Math.max(5, ...model.layers.map((l) => l.name.length));
  const kindW = Math.max(4, ...model.layers.map((l) => l.kind.length));
  out.push(
    `${'#'.padStart(3)}  ${'layer'.padEnd(nameW)}  ${'kind'.padEnd(kindW)}  ${'output'.padEnd(14)}  units`,
  );
  for (const l of model.layers) {
    const note = l.tokens
      ? '  tokens on the patch grid'
      : l.attention
        ? `  attention: ${l.attention.heads} heads`
        : l.channelsLast
          ? '  channels-last'
          : '';
    out.push(
      `${String(l.index).padStart(3)}  ${l.name.padEnd(nameW)}  ${l.kind.padEnd(kindW)}  ${l.outputShape.join('×').padEnd(14)}  ${l.units}${note}`,
    );
  }
  // Layer and class names come from the model file: escape control characters (terminal escapes).
  process.stdout.write(out.map(printable).join('\n') + '\n');
  model.dispose();
}

/** A transformer's token layout and blocks, in the words `--tokens` and the methods use. */
function transformerLines(model: VisModel): string[] {
  const t = model.transformer;
  if (!t) return [];
  const lines: string[] = [];
  if (t.tokens) {
    const { prefix, grid, source } = t.tokens;
    const what =
      prefix === 0
        ? 'no prefix token'
        : prefix === 1
          ? '1 prefix token (the class token, LAYER:cls)'
          : `${prefix} prefix tokens (class${prefix === 2 ? ' and distillation' : ', …'}; the first is LAYER:cls)`;
    lines.push(
      `tokens: ${what} + a ${grid[0]}×${grid[1]} patch grid (${source === 'model' ? 'from the patch embedding' : source}); token layers are shown as ${grid[0]}×${grid[1]} maps; --tokens prefix=N,grid=HxW overrides`,
    );
  }
  if (t.blocks.length) {
    const last = t.blocks[t.blocks.length - 1];
    lines.push(
      `transformer blocks: ${t.blocks.length}; the last, ${last.name}: attention ${last.attention ?? '(windowed, not per image)'}, first norm ${last.norm1 ?? '?'}, MLP units ${last.mlp ?? '?'}`,
    );
  }
  return lines;
}
