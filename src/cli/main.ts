/**
 * deepvis CLI: `deepvis COMMAND [options]`. Every failure — a DeepvisError (bad input) or anything
 * else (a bug, a wasm abort) — prints one line and exits 1, after the command's staged outputs and
 * lock are removed; the stack trace only with DEEPVIS_DEBUG=1. A last-resort handler does the same
 * for errors thrown outside the command's promise (callbacks, timers, the wasm module).
 */
import { DeepvisError, printable } from '../errors.js';
import { abortOpenOutputs } from '../io/output.js';

/** A command: its run, and its help (a function of the other arguments: `maximize --method lucid --help`). */
type Command = {
  run: (argv: string[]) => Promise<void>;
  help: string | ((argv: string[]) => string);
};

const COMMANDS: Record<string, () => Promise<Command>> = {
  inspect: () => import('./commands/inspect.js'),
  train: () => import('./commands/train.js'),
  maximize: () => import('./commands/maximize.js'),
  filters: () => import('./commands/filters.js'),
  sample: () => import('./commands/sample.js'),
  dream: () => import('./commands/dream.js'),
  invert: () => import('./commands/invert.js'),
  activations: () => import('./commands/activations.js'),
  topk: () => import('./commands/topk.js'),
  deconv: () => import('./commands/deconv.js'),
  occlusion: () => import('./commands/occlusion.js'),
  attribute: () => import('./commands/attribute.js'),
  evaluate: () => import('./commands/evaluate.js'),
  specificity: () => import('./commands/specificity.js'),
  sensitivity: () => import('./commands/sensitivity.js'),
  lincomb: () => import('./commands/lincomb.js'),
  embed: () => import('./commands/embed.js'),
  concepts: () => import('./commands/concepts.js'),
  serve: () => import('./commands/serve.js'),
  report: () => import('./commands/report.js'),
  reproduce: () => import('./commands/reproduce.js'),
};

/** The commands, with the method lists read from the registries (loaded only for this help). */
async function summary(): Promise<string> {
  const { FEATURE_VIS } = await import('../methods/registry.js');
  const { ATTRIBUTIONS } = await import('../attribution/registry.js');
  const { CONCEPT_METHODS } = await import('../concepts/registry.js');
  const list = (names: string[], sep: string) =>
    wrap(names.join(sep), 79 - 23).join(`\n${' '.repeat(23)}`);
  return `deepvis — see what a neural network has learned

commands:
  inspect MODEL        layer table, input needs, gradient support
  train                train a CNN, MLP, RBM, DBN or stacked (denoising, sparse) autoencoder
  maximize             synthesize what units respond to, many at once (--method):
                       ${list(
                         FEATURE_VIS.map((m) => m.name),
                         ' | ',
                       )}
  dream                DeepDream: enhance a layer in a photo (octaves, --zoom N), or units from noise
  invert               reconstruct an image from a layer's representation (Mahendran & Vedaldi)
  filters              first-layer weights as images (RBM, autoencoder, conv kernels)
  sample               samples of a DBN with one hidden unit clamped (Erhan et al. 2009, §4)

the atlas:
  report               a static site of the whole model: a page per layer and unit (feature
                       visualizations, top-9 and most negative examples, deconvnet, specificity,
                       connections), training history, cached, shardable
  reproduce PAPER      the seed papers' figures and numeric claims re-made (000–004 or all), one
                       page per paper: our figure beside the paper's caption, claims with verdicts

the live toolbox:
  serve                the web app: webcam / video / image / data set in, every layer live, unit panels
                       (top-9, deconvnet, optimized image, specificity), method views

seeing units through data:
  activations          every layer's response to one input, a tile per channel, + top predictions
  topk                 scan a data set once: the k inputs exciting each unit most, receptive-field
                       crops, saved as an index the other commands reuse
  deconv               Zeiler & Fergus deconvnet projections of a unit's top-k activations
  occlusion            slide a grey square over the input, map the drop of a class or unit
  attribute            attribution maps (--method all):
                       ${list(
                         ATTRIBUTIONS.map((m) => m.name),
                         ', ',
                       )}
  evaluate             which map to believe: methods × faithfulness/robustness/randomization metrics
  specificity          per-class mean activations, unimodal/bimodal units per layer (the maximising-images paper §3)
  sensitivity          activation of unit j on the optimum of unit i (Erhan et al. 2010, §6.2)
  lincomb              a unit as the weighted sum of the filters below (Lee et al.)
  embed                t-SNE / UMAP / PCA of a layer's activations with input thumbnails
  concepts             what a class is made of: concept directions at a layer (--method):
                       ${list(
                         CONCEPT_METHODS.map((m) => m.name),
                         ' | ',
                       )}

deepvis COMMAND --help for a command's options`;
}

/** Lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/**
 * What the wasm module printed itself (emscripten's print/printErr are console.log/warn, bound when
 * the backend starts): 'Aborted(…)', XNNPACK's status lines. Held back rather than printed, so a
 * failure is one line — the error's, with the module's own words appended when they say more.
 */
const WASM_NOISE =
  /^(Aborted\(|XNN status|exiting due to exception|failed to asynchronously prepare wasm|Build with -s)/;
let wasmSaid: string | null = null;
let quieted = false;

function quietWasm(): void {
  if (quieted) return;
  quieted = true;
  for (const name of ['log', 'warn', 'error'] as const) {
    const original = console[name].bind(console);
    console[name] = (...args: unknown[]) => {
      if (args.length === 1 && typeof args[0] === 'string' && WASM_NOISE.test(args[0])) {
        wasmSaid = args[0].split('\n')[0];
        return;
      }
      original(...args);
    };
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await summary());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  return runReported(name, async () => {
    if (!load)
      throw new DeepvisError(
        `unknown command '${name}'; known: ${Object.keys(COMMANDS).join(', ')}`,
      );
    const cmd = await load();
    if (rest.includes('--help') || rest.includes('-h'))
      console.log(typeof cmd.help === 'function' ? cmd.help(rest) : cmd.help);
    else await cmd.run(rest);
  });
}

/**
 * Runs a command as the CLI does: the wasm module's own prints held back, any failure one line on
 * stderr (after the command's staged outputs are removed), exit code 0 or 1.
 */
export async function runReported(name: string, run: () => Promise<void>): Promise<number> {
  quietWasm();
  installLastResort(name);
  try {
    await run();
    return 0;
  } catch (e) {
    await abortOpenOutputs().catch(() => {});
    report(name, e);
    return 1;
  }
}

/** One line on stderr: the message (control characters escaped); the trace only when debugging. */
export function report(command: string, e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  // A DeepvisError is one line by construction (a newline in it came from a file or an argument,
  // and is escaped); anything else may be a multi-line dump, of which the first line says most.
  const first = (err.message || err.name || String(e)).split('\n')[0];
  const wasm = wasmSaid && !first.includes(wasmSaid) ? ` (the wasm module said: ${wasmSaid})` : '';
  const line =
    e instanceof DeepvisError
      ? err.message
      : `internal error: ${first}${wasm}${process.env.DEEPVIS_DEBUG === '1' ? '' : ' (DEEPVIS_DEBUG=1 shows the trace)'}`;
  // One line whatever the message held: newlines escaped, nothing else printed after it.
  process.stderr.write(`deepvis ${printable(command)}: ${printable(line)}\n`);
  if (process.env.DEEPVIS_DEBUG === '1' && err.stack) process.stderr.write(`${err.stack}\n`);
}

let lastResortInstalled = false;

/**
 * Errors that escape every promise (an exception in a callback, a rejected promise nobody
 * awaits): one line, exit 1. The wasm module's own handler (which rethrows, so Node exits 7) is
 * removed after engine start (see engineFrom), so this one decides.
 */
function installLastResort(command: string): void {
  if (lastResortInstalled) return;
  lastResortInstalled = true;
  const die = (e: unknown) => {
    report(command, e);
    // Staged outputs and locks are removed by the exit cleanup (io/cleanup.ts).
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}
